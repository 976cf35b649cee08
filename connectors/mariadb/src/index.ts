export {
  type CursorValue,
  type MariaDbConfig,
  MariaDbConnector,
  type MariaDbCursor,
  type MariaDbStreamConfig,
  mariadb,
  pageSql,
} from './mariadb-connector.js';
export { classifyMariaDbError } from './mariadb-errors.js';
