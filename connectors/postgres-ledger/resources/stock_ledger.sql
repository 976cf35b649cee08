-- The central stock ledger as the postgres-ledger connector expects it: one row per movement,
-- appended by the ledger application and, rarely, corrected in place (the trigger below moves
-- `updated_at` so that the correction is read again). The connector reads incrementally by the
-- cursor (updated_at, id), which the index serves.
--
-- Conventions:
--   movement_type     a canonical movement type: receipt, dispatch, transfer-out, transfer-in,
--                     adjustment, loss, damage, expiry-write-off, return, donation-in (case and
--                     '_' for '-' are tolerated: TRANSFER_OUT).
--   warehouse_code    the Location id of the warehouse whose stock changes (souss-massa-wh1).
--   counterpart_type  'location' or 'organization'; counterpart_code its id.
--   product_code      the Product id; gtin its GTIN-14 when known.
--   quantity          the magnitude; the sign comes from movement_type (an adjustment keeps its
--                     own sign). A negative quantity on an outbound type is taken as already signed.
--   unit              a UN/ECE Rec 20 code (EA, KGM, LTR…).
CREATE TABLE IF NOT EXISTS stock_ledger (
  id               bigserial     PRIMARY KEY,
  movement_uuid    uuid          NOT NULL UNIQUE,
  movement_type    text          NOT NULL,
  warehouse_code   text          NOT NULL,
  counterpart_type text          CHECK (counterpart_type IN ('location', 'organization')),
  counterpart_code text,
  product_code     text          NOT NULL,
  gtin             text,
  lot_number       text,
  lot_expiry       date,
  quantity         numeric(18,3) NOT NULL,
  unit             text          NOT NULL,
  occurred_at      timestamptz   NOT NULL,
  reason           text,
  reference        text,
  updated_at       timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS stock_ledger_cursor_idx ON stock_ledger (updated_at, id);

CREATE OR REPLACE FUNCTION stock_ledger_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS stock_ledger_touch ON stock_ledger;
CREATE TRIGGER stock_ledger_touch BEFORE UPDATE ON stock_ledger
  FOR EACH ROW EXECUTE FUNCTION stock_ledger_touch();
