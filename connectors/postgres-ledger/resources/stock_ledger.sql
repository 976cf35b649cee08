-- The central stock ledger as the postgres-ledger connector expects it: one row per movement,
-- appended by the ledger application and, rarely, corrected or deleted. Idempotent: run it on
-- a new schema or again on an existing ledger (it upgrades a ledger made by an earlier version).
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
--   deleted_at        a soft delete: the row no longer counts (setting it back to NULL restores it).
--
-- Maintained by the triggers below, never by the application:
--   revision          1 for a new movement, +1 for each committed change of a column the hub
--                     reads; it keeps counting when a deleted movement_uuid comes back.
--   xact              the transaction that wrote this revision (pg_current_xact_id()).
--   updated_at        when this revision was written (the application may set it on INSERT).
--   stock_ledger_history   every revision that a later UPDATE or a DELETE replaced, as it was,
--                     with the transaction that replaced it.
--
-- The connector reads the revisions committed between two snapshots (pg_current_snapshot());
-- a revision that was read and later replaced becomes a reversal event. See the folder README.
-- TRUNCATE bypasses row triggers: it is not a change the hub can see.
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
  updated_at       timestamptz   NOT NULL DEFAULT now(),
  deleted_at       timestamptz,
  revision         integer       NOT NULL DEFAULT 1,
  xact             xid8          NOT NULL DEFAULT pg_current_xact_id()
);

-- A ledger created by an earlier version of this file.
ALTER TABLE stock_ledger ADD COLUMN IF NOT EXISTS deleted_at timestamptz;
ALTER TABLE stock_ledger ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 1;
ALTER TABLE stock_ledger ADD COLUMN IF NOT EXISTS xact xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE INDEX IF NOT EXISTS stock_ledger_xact_idx ON stock_ledger (xact);

CREATE TABLE IF NOT EXISTS stock_ledger_history (
  history_id       bigserial     PRIMARY KEY,
  operation        text          NOT NULL CHECK (operation IN ('UPDATE', 'DELETE')),
  superseded_by    xid8          NOT NULL DEFAULT pg_current_xact_id(),
  superseded_at    timestamptz   NOT NULL DEFAULT now(),
  id               bigint        NOT NULL,
  movement_uuid    uuid          NOT NULL,
  movement_type    text          NOT NULL,
  warehouse_code   text          NOT NULL,
  counterpart_type text,
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
  updated_at       timestamptz   NOT NULL,
  deleted_at       timestamptz,
  revision         integer       NOT NULL,
  xact             xid8          NOT NULL
);

CREATE INDEX IF NOT EXISTS stock_ledger_history_xact_idx ON stock_ledger_history (xact);
CREATE INDEX IF NOT EXISTS stock_ledger_history_superseded_idx ON stock_ledger_history (superseded_by);
CREATE INDEX IF NOT EXISTS stock_ledger_history_uuid_idx ON stock_ledger_history (movement_uuid, revision);

-- Numbers the revision and stamps its transaction. An UPDATE that changes nothing the hub reads
-- keeps the revision; so does a second change in the same transaction (no one saw the first).
-- `SET search_path FROM CURRENT`: the functions find their tables whatever the caller's path.
CREATE OR REPLACE FUNCTION stock_ledger_version() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  last_revision integer;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF ROW(NEW.id, NEW.movement_uuid, NEW.movement_type, NEW.warehouse_code, NEW.counterpart_type,
           NEW.counterpart_code, NEW.product_code, NEW.gtin, NEW.lot_number, NEW.lot_expiry,
           NEW.quantity, NEW.unit, NEW.occurred_at, NEW.reason, NEW.reference, NEW.deleted_at)
       IS NOT DISTINCT FROM
       ROW(OLD.id, OLD.movement_uuid, OLD.movement_type, OLD.warehouse_code, OLD.counterpart_type,
           OLD.counterpart_code, OLD.product_code, OLD.gtin, OLD.lot_number, OLD.lot_expiry,
           OLD.quantity, OLD.unit, OLD.occurred_at, OLD.reason, OLD.reference, OLD.deleted_at) THEN
      NEW.revision := OLD.revision;
      NEW.xact := OLD.xact;
      NEW.updated_at := OLD.updated_at;
      RETURN NEW;
    END IF;
    NEW.updated_at := now();
    IF OLD.xact = pg_current_xact_id() AND NEW.movement_uuid = OLD.movement_uuid THEN
      NEW.revision := OLD.revision;
      NEW.xact := OLD.xact;
      RETURN NEW;
    END IF;
    last_revision := OLD.revision;
  ELSE
    last_revision := 0;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.movement_uuid <> OLD.movement_uuid THEN
    SELECT greatest(last_revision, coalesce(max(h.revision), 0)) INTO last_revision
      FROM stock_ledger_history h WHERE h.movement_uuid = NEW.movement_uuid;
  END IF;
  NEW.revision := last_revision + 1;
  NEW.xact := pg_current_xact_id();
  RETURN NEW;
END
$$;

-- Keeps each replaced revision, as it was, with the transaction that replaced it.
CREATE OR REPLACE FUNCTION stock_ledger_keep_history() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.revision = OLD.revision AND NEW.movement_uuid = OLD.movement_uuid THEN
    RETURN NULL;
  END IF;
  INSERT INTO stock_ledger_history (
    operation, id, movement_uuid, movement_type, warehouse_code, counterpart_type, counterpart_code,
    product_code, gtin, lot_number, lot_expiry, quantity, unit, occurred_at, reason, reference,
    updated_at, deleted_at, revision, xact)
  VALUES (
    TG_OP, OLD.id, OLD.movement_uuid, OLD.movement_type, OLD.warehouse_code, OLD.counterpart_type,
    OLD.counterpart_code, OLD.product_code, OLD.gtin, OLD.lot_number, OLD.lot_expiry, OLD.quantity,
    OLD.unit, OLD.occurred_at, OLD.reason, OLD.reference, OLD.updated_at, OLD.deleted_at,
    OLD.revision, OLD.xact);
  RETURN NULL;
END
$$;

-- The trigger of earlier versions of this file; stock_ledger_version does its work now.
DROP TRIGGER IF EXISTS stock_ledger_touch ON stock_ledger;
DROP FUNCTION IF EXISTS stock_ledger_touch();

DROP TRIGGER IF EXISTS stock_ledger_version ON stock_ledger;
CREATE TRIGGER stock_ledger_version BEFORE INSERT OR UPDATE ON stock_ledger
  FOR EACH ROW EXECUTE FUNCTION stock_ledger_version();

DROP TRIGGER IF EXISTS stock_ledger_keep_history ON stock_ledger;
CREATE TRIGGER stock_ledger_keep_history AFTER UPDATE OR DELETE ON stock_ledger
  FOR EACH ROW EXECUTE FUNCTION stock_ledger_keep_history();
