-- specgen 0.1.0: post-data constraints for PostgreSQL; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Added after the data: building keys and indexes once is far cheaper than maintaining them row by row.
-- specgen-step: {"phase": "keys", "table": "customers"}
ALTER TABLE "customers" ADD PRIMARY KEY ("id");
-- specgen-step: {"phase": "keys", "table": "orders"}
ALTER TABLE "orders" ADD PRIMARY KEY ("id");
-- specgen-step: {"phase": "keys", "table": "products"}
ALTER TABLE "products" ADD PRIMARY KEY ("id");
-- specgen-step: {"phase": "keys", "table": "order_items"}
ALTER TABLE "order_items" ADD PRIMARY KEY ("order_id", "product_id");
-- specgen-step: {"phase": "keys", "table": "page_views"}
ALTER TABLE "page_views" ADD PRIMARY KEY ("id");
-- specgen-step: {"phase": "keys", "table": "reviews"}
ALTER TABLE "reviews" ADD PRIMARY KEY ("id");
-- specgen-step: {"phase": "keys", "table": "customers"}
ALTER TABLE "customers" ADD CONSTRAINT "uq_customers_uid" UNIQUE ("uid");
-- specgen-step: {"phase": "keys", "table": "customers"}
ALTER TABLE "customers" ADD CONSTRAINT "uq_customers_email" UNIQUE ("email");
-- specgen-step: {"phase": "keys", "table": "orders"}
ALTER TABLE "orders" ADD CONSTRAINT "uq_orders_customer_id_number" UNIQUE ("customer_id", "number");
-- specgen-step: {"phase": "keys", "table": "products"}
ALTER TABLE "products" ADD CONSTRAINT "uq_products_sku" UNIQUE ("sku");
-- specgen-step: {"phase": "keys", "table": "reviews"}
ALTER TABLE "reviews" ADD CONSTRAINT "uq_reviews_order_id_product_id" UNIQUE ("order_id", "product_id");
-- specgen-step: {"phase": "keys", "table": "orders"}
CREATE INDEX "ix_orders_created_at" ON "orders" ("created_at");
-- specgen-step: {"phase": "foreign_keys", "table": "orders"}
ALTER TABLE "orders" ADD CONSTRAINT "fk_orders_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE CASCADE;
-- specgen-step: {"phase": "foreign_keys", "table": "order_items"}
ALTER TABLE "order_items" ADD CONSTRAINT "fk_order_items_order_id" FOREIGN KEY ("order_id") REFERENCES "orders" ("id");
-- specgen-step: {"phase": "foreign_keys", "table": "order_items"}
ALTER TABLE "order_items" ADD CONSTRAINT "fk_order_items_product_id" FOREIGN KEY ("product_id") REFERENCES "products" ("id");
-- specgen-step: {"phase": "foreign_keys", "table": "page_views"}
ALTER TABLE "page_views" ADD CONSTRAINT "fk_page_views_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id");
-- specgen-step: {"phase": "foreign_keys", "table": "reviews"}
ALTER TABLE "reviews" ADD CONSTRAINT "fk_reviews_product_id" FOREIGN KEY ("product_id") REFERENCES "products" ("id");
-- specgen-step: {"phase": "foreign_keys", "table": "reviews"}
ALTER TABLE "reviews" ADD CONSTRAINT "fk_reviews_customer_id" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id");
-- specgen-step: {"phase": "identity", "table": "customers"}
SELECT setval(s.seqrelid, GREATEST(COALESCE((SELECT MAX("id") FROM "customers"), 0) + 1, s.seqmin), false) FROM pg_catalog.pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence('"customers"', 'id')::regclass;
-- specgen-step: {"phase": "identity", "table": "products"}
SELECT setval(s.seqrelid, GREATEST(COALESCE((SELECT MAX("id") FROM "products"), 0) + 1, s.seqmin), false) FROM pg_catalog.pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence('"products"', 'id')::regclass;
-- specgen-step: {"phase": "identity", "table": "page_views"}
SELECT setval(s.seqrelid, GREATEST(COALESCE((SELECT MAX("id") FROM "page_views"), 0) + 1, s.seqmin), false) FROM pg_catalog.pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence('"page_views"', 'id')::regclass;
-- specgen-step: {"phase": "identity", "table": "reviews"}
SELECT setval(s.seqrelid, GREATEST(COALESCE((SELECT MAX("id") FROM "reviews"), 0) + 1, s.seqmin), false) FROM pg_catalog.pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence('"reviews"', 'id')::regclass;
-- specgen-step: {"phase": "end"}
