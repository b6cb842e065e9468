-- specgen 0.1.0: post-data constraints for SQLite; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Added after the data: building keys and indexes once is far cheaper than maintaining them row by row.
-- specgen-step: {"phase": "keys", "table": "customers"}
CREATE UNIQUE INDEX "uq_customers_uid" ON "customers" ("uid");
-- specgen-step: {"phase": "keys", "table": "customers"}
CREATE UNIQUE INDEX "uq_customers_email" ON "customers" ("email");
-- specgen-step: {"phase": "keys", "table": "orders"}
CREATE UNIQUE INDEX "uq_orders_customer_id_number" ON "orders" ("customer_id", "number");
-- specgen-step: {"phase": "keys", "table": "products"}
CREATE UNIQUE INDEX "uq_products_sku" ON "products" ("sku");
-- specgen-step: {"phase": "keys", "table": "reviews"}
CREATE UNIQUE INDEX "uq_reviews_order_id_product_id" ON "reviews" ("order_id", "product_id");
-- specgen-step: {"phase": "keys", "table": "orders"}
CREATE INDEX "ix_orders_created_at" ON "orders" ("created_at");
-- specgen-step: {"phase": "end"}
