-- specgen 0.1.0: load script for MySQL/MariaDB; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Run from this directory: mysql --local-infile=1 DBNAME < load.mysql.sql
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET FOREIGN_KEY_CHECKS = 0;
SET UNIQUE_CHECKS = 0;
SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_AUTO_VALUE_ON_ZERO');
SOURCE schema.sql

-- customers: 40 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/customers/part-00000.tsv' INTO TABLE `customers` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`id`, `uid`, `email`, `full_name`, `company`, `country`, `created_at`, `is_active`, `lifetime_value`, `preferences`, `last_login_ip`);
COMMIT;

-- orders: 193 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/orders/part-00000.tsv' INTO TABLE `orders` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`id`, `customer_id`, `number`, `status`, `created_at`, `shipped_at`);
COMMIT;

-- products: 25 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/products/part-00000.tsv' INTO TABLE `products` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`id`, `sku`, `name`, `category`, `price`, `stock`, `tags`, `description`);
COMMIT;

-- order_items: 490 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/order_items/part-00000.tsv' INTO TABLE `order_items` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`order_id`, `product_id`, `quantity`, `unit_price`);
COMMIT;

-- page_views: 452 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/page_views/part-00000.tsv' INTO TABLE `page_views` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`id`, `customer_id`, `viewed_at`, `duration_ms`, `converted`);
COMMIT;

-- reviews: 82 rows in 1 part(s)
LOAD DATA LOCAL INFILE 'data/reviews/part-00000.tsv' INTO TABLE `reviews` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (`id`, `order_id`, `product_id`, `customer_id`, `rating`, `body`, `created_at`);
COMMIT;

SOURCE post_data.sql
SET FOREIGN_KEY_CHECKS = 1;
SET UNIQUE_CHECKS = 1;
