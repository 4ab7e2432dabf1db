// Customer fields as the back office, the API and the CSV import all validate them.
import Type, { type Static } from 'typebox';
import { ApiListQuery } from '../../lib/schemas.ts';
import { ListParams } from '../../lib/list.ts';
import { shipmentStatuses, orderStatuses } from '../../db/schema/index.ts';

export const CUSTOMER_NAME_MAX = 200;

export const CustomerFields = {
  fullName: Type.String({ minLength: 1, maxLength: CUSTOMER_NAME_MAX, errorMessage: `Enter the full name (up to ${CUSTOMER_NAME_MAX} characters).` }),
  emailAddress: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter a valid email address.' }),
};

/** The create/edit form (strings from the browser); `version` is the optimistic-lock token. */
export const CustomerForm = Type.Object({
  ...CustomerFields,
  version: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' })),
});
export type CustomerForm = Static<typeof CustomerForm>;

/** One CSV import row (headers: email_address or emailAddress, full_name or fullName). */
export const CustomerImportRow = Type.Object(CustomerFields);

/** What create and update write, after trimming; the service checks every input against it. */
export const CustomerInput = Type.Object(CustomerFields);
export type CustomerInput = Static<typeof CustomerInput>;

// ---- Lists -------------------------------------------------------------------------------------

/** Sortable fields of the customer list, named as in the API. */
export const CUSTOMER_SORTS = ['customerId', 'fullName', 'emailAddress', 'createdAt', 'orderCount', 'lastOrderAt'] as const;

/** Query of the back-office list page (same parameters as the API list). */
export const CustomerListQuery = Type.Object(ListParams);
export type CustomerListQuery = Static<typeof CustomerListQuery>;

export const CustomerApiListQuery = Type.Object({
  ...ApiListQuery,
  sort: Type.Optional(Type.Union(CUSTOMER_SORTS.map((s) => Type.Literal(s)), { description: 'Field to sort by (default fullName).' })),
});

export const CustomerOrdersQuery = Type.Object({
  ...ApiListQuery,
  sort: Type.Optional(Type.Union(['orderTimestamp', 'orderId', 'orderStatus', 'total'].map((s) => Type.Literal(s)), { description: 'Default orderTimestamp, newest first.' })),
  status: Type.Optional(Type.Union(orderStatuses.map((s) => Type.Literal(s)))),
});

export const CustomerShipmentsQuery = Type.Object({
  ...ApiListQuery,
  sort: Type.Optional(Type.Union(['createdAt', 'shipmentId', 'shipmentStatus'].map((s) => Type.Literal(s)), { description: 'Default createdAt, newest first.' })),
  status: Type.Optional(Type.Union(shipmentStatuses.map((s) => Type.Literal(s)))),
});

// ---- API shapes --------------------------------------------------------------------------------

const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ApiCustomer = Type.Object({
  customerId: Type.Integer(),
  emailAddress: Type.String(),
  fullName: Type.String(),
  createdAt: Timestamp,
  orderCount: Type.Integer({ description: 'Orders of this customer (for staff: at their stores).' }),
  lastOrderAt: Nullable(Timestamp),
  version: Type.Integer({ description: 'Send it back with PUT/PATCH/DELETE (optimistic locking).' }),
}, { title: 'Customer' });

export const CustomerCreateBody = Type.Object(CustomerFields, { additionalProperties: false, title: 'CustomerCreate' });

export const CustomerPutBody = Type.Object({
  ...CustomerFields,
  version: Type.Integer({ minimum: 1, description: 'The version the change is based on.' }),
}, { additionalProperties: false, title: 'CustomerUpdate' });

export const CustomerPatchBody = Type.Object({
  fullName: Type.Optional(CustomerFields.fullName),
  emailAddress: Type.Optional(CustomerFields.emailAddress),
  version: Type.Integer({ minimum: 1, description: 'The version the change is based on.' }),
}, { additionalProperties: false, title: 'CustomerPatch' });

export const CustomerDeleteQuery = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'Refuse the delete (409) if the customer changed since this version.' })),
});

export const ApiCustomerOrder = Type.Object({
  orderId: Type.Integer(),
  orderTimestamp: Timestamp,
  orderStatus: Type.String(),
  storeId: Type.Integer(),
  storeName: Type.String(),
  total: Type.String({ description: 'Sum of the lines, decimal string.' }),
}, { title: 'CustomerOrder' });

export const ApiCustomerShipment = Type.Object({
  shipmentId: Type.Integer(),
  orderId: Type.Integer(),
  storeId: Type.Integer(),
  storeName: Type.String(),
  deliveryAddress: Type.String(),
  shipmentStatus: Type.String(),
  createdAt: Timestamp,
}, { title: 'CustomerShipment' });

export const ShipmentStatusCount = Type.Object({
  shipmentStatus: Type.String(),
  customers: Type.Integer({ description: 'Distinct customers with at least one shipment in this status.' }),
}, { title: 'CustomerShipmentStatus' });

/** 409 body of a stale update: the usual error plus the record as it is now. */
export const CustomerConflictBody = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  current: Type.Optional(ApiCustomer),
}, { title: 'CustomerConflict' });
