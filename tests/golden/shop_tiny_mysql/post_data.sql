-- specgen 0.1.0: post-data constraints for MySQL/MariaDB; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Added after the data: building keys and indexes once is far cheaper than maintaining them row by row.
-- Foreign keys are added with checks off (InnoDB then adds them in place instead of copying the
-- table); verify.sql counts orphans instead.
SET FOREIGN_KEY_CHECKS = 0;
-- specgen-step: {"phase": "keys", "table": "customers"}
ALTER TABLE `customers` ADD CONSTRAINT `uq_customers_uid` UNIQUE (`uid`),
  ADD CONSTRAINT `uq_customers_email` UNIQUE (`email`);
-- specgen-step: {"phase": "keys", "table": "orders"}
ALTER TABLE `orders` ADD CONSTRAINT `uq_orders_customer_id_number` UNIQUE (`customer_id`, `number`),
  ADD INDEX `ix_orders_created_at` (`created_at`);
-- specgen-step: {"phase": "keys", "table": "products"}
ALTER TABLE `products` ADD CONSTRAINT `uq_products_sku` UNIQUE (`sku`);
-- specgen-step: {"phase": "keys", "table": "reviews"}
ALTER TABLE `reviews` ADD CONSTRAINT `uq_reviews_order_id_product_id` UNIQUE (`order_id`, `product_id`);
-- specgen-step: {"phase": "foreign_keys", "table": "orders"}
ALTER TABLE `orders` ADD CONSTRAINT `fk_orders_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE;
-- specgen-step: {"phase": "foreign_keys", "table": "order_items"}
ALTER TABLE `order_items` ADD CONSTRAINT `fk_order_items_order_id` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`),
  ADD CONSTRAINT `fk_order_items_product_id` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`);
-- specgen-step: {"phase": "foreign_keys", "table": "page_views"}
ALTER TABLE `page_views` ADD CONSTRAINT `fk_page_views_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`);
-- specgen-step: {"phase": "foreign_keys", "table": "reviews"}
ALTER TABLE `reviews` ADD CONSTRAINT `fk_reviews_product_id` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`),
  ADD CONSTRAINT `fk_reviews_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`);
-- specgen-step: {"phase": "identity", "table": "customers"}
SET @specgen_identity = (SELECT CONCAT('ALTER TABLE ', '`customers`', ' AUTO_INCREMENT = ', GREATEST(COALESCE(MAX(`id`), 0), 0) + 1) FROM `customers`);
PREPARE specgen_identity FROM @specgen_identity;
EXECUTE specgen_identity;
DEALLOCATE PREPARE specgen_identity;
-- specgen-step: {"phase": "identity", "table": "products"}
SET @specgen_identity = (SELECT CONCAT('ALTER TABLE ', '`products`', ' AUTO_INCREMENT = ', GREATEST(COALESCE(MAX(`id`), 0), 0) + 1) FROM `products`);
PREPARE specgen_identity FROM @specgen_identity;
EXECUTE specgen_identity;
DEALLOCATE PREPARE specgen_identity;
-- specgen-step: {"phase": "identity", "table": "page_views"}
SET @specgen_identity = (SELECT CONCAT('ALTER TABLE ', '`page_views`', ' AUTO_INCREMENT = ', GREATEST(COALESCE(MAX(`id`), 0), 0) + 1) FROM `page_views`);
PREPARE specgen_identity FROM @specgen_identity;
EXECUTE specgen_identity;
DEALLOCATE PREPARE specgen_identity;
-- specgen-step: {"phase": "identity", "table": "reviews"}
SET @specgen_identity = (SELECT CONCAT('ALTER TABLE ', '`reviews`', ' AUTO_INCREMENT = ', GREATEST(COALESCE(MAX(`id`), 0), 0) + 1) FROM `reviews`);
PREPARE specgen_identity FROM @specgen_identity;
EXECUTE specgen_identity;
DEALLOCATE PREPARE specgen_identity;
-- specgen-step: {"phase": "end"}
SET FOREIGN_KEY_CHECKS = 1;
