# flake8: noqa

# import apis into api package
from reserve_hub_client.api.audit_api import AuditApi
from reserve_hub_client.api.connectors_api import ConnectorsApi
from reserve_hub_client.api.dead_letters_api import DeadLettersApi
from reserve_hub_client.api.equipment_api import EquipmentApi
from reserve_hub_client.api.events_api import EventsApi
from reserve_hub_client.api.exports_api import ExportsApi
from reserve_hub_client.api.incidents_api import IncidentsApi
from reserve_hub_client.api.ingest_api import IngestApi
from reserve_hub_client.api.kpis_api import KpisApi
from reserve_hub_client.api.locations_api import LocationsApi
from reserve_hub_client.api.lots_api import LotsApi
from reserve_hub_client.api.movements_api import MovementsApi
from reserve_hub_client.api.organizations_api import OrganizationsApi
from reserve_hub_client.api.products_api import ProductsApi
from reserve_hub_client.api.requests_api import RequestsApi
from reserve_hub_client.api.shipments_api import ShipmentsApi
from reserve_hub_client.api.stock_api import StockApi

