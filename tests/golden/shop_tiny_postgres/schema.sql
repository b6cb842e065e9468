-- specgen 0.1.0: schema for PostgreSQL; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Tables with types, NOT NULL and defaults; the rest is in post_data.sql.

CREATE TABLE "customers" (
    "id" BIGSERIAL NOT NULL,
    "uid" VARCHAR(36) NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "full_name" VARCHAR(255) NOT NULL,
    "company" VARCHAR(255),
    "country" CHAR(2) NOT NULL,
    "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
    "is_active" BOOLEAN NOT NULL,
    "lifetime_value" DOUBLE PRECISION NOT NULL,
    "preferences" JSON NOT NULL,
    "last_login_ip" VARCHAR(45)
);

CREATE TABLE "orders" (
    "id" VARCHAR(32) NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
    "shipped_at" TIMESTAMP WITH TIME ZONE
);

CREATE TABLE "products" (
    "id" SERIAL NOT NULL,
    "sku" VARCHAR(20) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "category" VARCHAR(30) NOT NULL,
    "price" DOUBLE PRECISION NOT NULL,
    "stock" INTEGER NOT NULL,
    "tags" JSON NOT NULL,
    "description" TEXT
);

CREATE TABLE "order_items" (
    "order_id" VARCHAR(32) NOT NULL,
    "product_id" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price" DOUBLE PRECISION NOT NULL
);

CREATE TABLE "page_views" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "viewed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "converted" BOOLEAN NOT NULL
);

CREATE TABLE "reviews" (
    "id" BIGSERIAL NOT NULL,
    "order_id" VARCHAR(32) NOT NULL,
    "product_id" INTEGER NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "rating" SMALLINT NOT NULL,
    "body" TEXT,
    "created_at" TIMESTAMP WITH TIME ZONE NOT NULL
);
