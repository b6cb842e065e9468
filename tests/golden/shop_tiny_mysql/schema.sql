-- specgen 0.1.0: schema for MySQL/MariaDB; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Tables with types, NOT NULL and defaults, primary keys; the rest is in post_data.sql.

CREATE TABLE `customers` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `uid` VARCHAR(36) NOT NULL,
    `email` VARCHAR(255) NOT NULL,
    `full_name` VARCHAR(255) NOT NULL,
    `company` VARCHAR(255),
    `country` CHAR(2) NOT NULL,
    `created_at` DATETIME NOT NULL,
    `is_active` BOOLEAN NOT NULL,
    `lifetime_value` DOUBLE NOT NULL,
    `preferences` JSON NOT NULL,
    `last_login_ip` VARCHAR(45),
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `orders` (
    `id` VARCHAR(32) NOT NULL,
    `customer_id` BIGINT NOT NULL,
    `number` INTEGER NOT NULL,
    `status` VARCHAR(20) NOT NULL,
    `created_at` DATETIME NOT NULL,
    `shipped_at` DATETIME,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `products` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `sku` VARCHAR(20) NOT NULL,
    `name` VARCHAR(200) NOT NULL,
    `category` VARCHAR(30) NOT NULL,
    `price` DOUBLE NOT NULL,
    `stock` INTEGER NOT NULL,
    `tags` JSON NOT NULL,
    `description` TEXT,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `order_items` (
    `order_id` VARCHAR(32) NOT NULL,
    `product_id` INTEGER NOT NULL,
    `quantity` INTEGER NOT NULL,
    `unit_price` DOUBLE NOT NULL,
    PRIMARY KEY (`order_id`, `product_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `page_views` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `customer_id` BIGINT NOT NULL,
    `viewed_at` DATETIME NOT NULL,
    `duration_ms` INTEGER NOT NULL,
    `converted` BOOLEAN NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `reviews` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `order_id` VARCHAR(32) NOT NULL,
    `product_id` INTEGER NOT NULL,
    `customer_id` BIGINT NOT NULL,
    `rating` SMALLINT NOT NULL,
    `body` TEXT,
    `created_at` DATETIME NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
