-- specgen 0.1.0: schema for SQLite; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Tables with types, NOT NULL and defaults, primary keys, foreign keys, checks; the rest is in post_data.sql.

CREATE TABLE "customers" (
    "id" INTEGER NOT NULL,
    "uid" VARCHAR(36) NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "full_name" VARCHAR(255) NOT NULL,
    "company" VARCHAR(255),
    "country" CHAR(2) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "is_active" BOOLEAN NOT NULL,
    "lifetime_value" DOUBLE NOT NULL,
    "preferences" JSON NOT NULL,
    "last_login_ip" VARCHAR(45),
    PRIMARY KEY ("id")
);

CREATE TABLE "orders" (
    "id" VARCHAR(32) NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "shipped_at" DATETIME,
    PRIMARY KEY ("id"),
    CONSTRAINT "fk_orders_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE CASCADE
);

CREATE TABLE "products" (
    "id" INTEGER NOT NULL,
    "sku" VARCHAR(20) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "category" VARCHAR(30) NOT NULL,
    "price" DOUBLE NOT NULL,
    "stock" INTEGER NOT NULL,
    "tags" JSON NOT NULL,
    "description" TEXT,
    PRIMARY KEY ("id")
);

CREATE TABLE "order_items" (
    "order_id" VARCHAR(32) NOT NULL,
    "product_id" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price" DOUBLE NOT NULL,
    PRIMARY KEY ("order_id", "product_id"),
    CONSTRAINT "fk_order_items_order_id" FOREIGN KEY ("order_id") REFERENCES "orders" ("id"),
    CONSTRAINT "fk_order_items_product_id" FOREIGN KEY ("product_id") REFERENCES "products" ("id")
);

CREATE TABLE "page_views" (
    "id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "viewed_at" DATETIME NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "converted" BOOLEAN NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "fk_page_views_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id")
);

CREATE TABLE "reviews" (
    "id" INTEGER NOT NULL,
    "order_id" VARCHAR(32) NOT NULL,
    "product_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "rating" SMALLINT NOT NULL,
    "body" TEXT,
    "created_at" DATETIME NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "fk_reviews_product_id" FOREIGN KEY ("product_id") REFERENCES "products" ("id"),
    CONSTRAINT "fk_reviews_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id")
);
