// Word lists the seed SQL draws from. They travel to PostgreSQL as '|'-joined text parameters
// (see `list()`), because drizzle's sql`` expands a JS array into a parenthesised parameter list,
// not into one text[] value.
import { faker } from '@faker-js/faker';

/** One '|'-separated parameter; SQL side: string_to_array(${list(x)}, '|'). */
export const list = (items: readonly (string | number)[]): string => items.join('|');

// faker's English locale: ~3,000 first names and ~470 last names give a few hundred thousand
// plausible distinct full names.
const person = faker.definitions.person as unknown as {
  first_name: { female: string[]; male: string[] };
  last_name: { generic: string[] };
};
export const firstNames: string[] = [...person.first_name.female, ...person.first_name.male];
export const lastNames: string[] = person.last_name.generic;

export const emailDomains = ['example.com', 'example.net', 'example.org', 'mail.example.com', 'inbox.example.net'];

export const streets = [
  'High Street', 'Market Street', 'Station Road', 'King Street', 'Queen Street', 'Mill Lane',
  'Church Road', 'Park Avenue', 'Victoria Road', 'Green Lane', 'Bridge Street', 'Harbour Way',
  'Elm Street', 'Oak Avenue', 'Maple Drive', 'Cedar Court', 'River Road', 'Castle Street',
  'Garden Row', 'North Parade', 'Chapel Street', 'Orchard Close', 'Meadow Way', 'Hill Street',
];

/** Cities for store and delivery addresses; stores get the coordinates (plus a little jitter). */
export const cities: Array<{ name: string; lat: number; lon: number }> = [
  { name: 'London', lat: 51.507351, lon: -0.127758 }, { name: 'Manchester', lat: 53.480759, lon: -2.242631 },
  { name: 'Edinburgh', lat: 55.953252, lon: -3.188267 }, { name: 'Dublin', lat: 53.349805, lon: -6.26031 },
  { name: 'Paris', lat: 48.856614, lon: 2.352222 }, { name: 'Lyon', lat: 45.764043, lon: 4.835659 },
  { name: 'Berlin', lat: 52.520008, lon: 13.404954 }, { name: 'Munich', lat: 48.135125, lon: 11.581981 },
  { name: 'Hamburg', lat: 53.551086, lon: 9.993682 }, { name: 'Amsterdam', lat: 52.367573, lon: 4.904139 },
  { name: 'Rotterdam', lat: 51.924419, lon: 4.477733 }, { name: 'Brussels', lat: 50.850346, lon: 4.351721 },
  { name: 'Copenhagen', lat: 55.676098, lon: 12.568337 }, { name: 'Stockholm', lat: 59.329323, lon: 18.068581 },
  { name: 'Oslo', lat: 59.913869, lon: 10.752245 }, { name: 'Helsinki', lat: 60.169856, lon: 24.938379 },
  { name: 'Vienna', lat: 48.208174, lon: 16.373819 }, { name: 'Zurich', lat: 47.376887, lon: 8.541694 },
  { name: 'Milan', lat: 45.464204, lon: 9.189982 }, { name: 'Madrid', lat: 40.416775, lon: -3.70379 },
  { name: 'Barcelona', lat: 41.385064, lon: 2.173404 }, { name: 'Lisbon', lat: 38.722252, lon: -9.139337 },
  { name: 'Prague', lat: 50.075538, lon: 14.4378 }, { name: 'Warsaw', lat: 52.229676, lon: 21.012229 },
  { name: 'New York', lat: 40.712776, lon: -74.005974 }, { name: 'Boston', lat: 42.360082, lon: -71.05888 },
  { name: 'Chicago', lat: 41.878114, lon: -87.629798 }, { name: 'Seattle', lat: 47.606209, lon: -122.332071 },
  { name: 'San Francisco', lat: 37.774929, lon: -122.419416 }, { name: 'Austin', lat: 30.267153, lon: -97.743061 },
  { name: 'Toronto', lat: 43.653226, lon: -79.383184 }, { name: 'Vancouver', lat: 49.282729, lon: -123.120738 },
  { name: 'Sydney', lat: -33.86882, lon: 151.20929 }, { name: 'Melbourne', lat: -37.813628, lon: 144.963058 },
];

/** Second word of a physical store's name ("Berlin Flagship"). */
export const storeSuffixes = ['Flagship', 'Central', 'Riverside', 'Old Town', 'Station', 'Galleria', 'Harbour', 'Outlet', 'Market Hall', 'Northside'];
/** Web-only stores are named after the region they sell to ("Webshop Nordics"). */
export const webRegions = ['UK', 'Ireland', 'France', 'DACH', 'Benelux', 'Nordics', 'Iberia', 'Italy', 'Poland', 'USA', 'Canada', 'Australia'];

/** ~20 plausible (invented) brands with a price factor: premium labels cost more. */
export const brands: Array<{ name: string; factor: number }> = [
  { name: 'Alder & Pine', factor: 1.1 }, { name: 'Boreal', factor: 1.35 }, { name: 'Cobalt Ridge', factor: 1.2 },
  { name: 'Driftwood', factor: 0.9 }, { name: 'Fjellstad', factor: 1.5 }, { name: 'Granite Peak', factor: 1.25 },
  { name: 'Harbor & Vale', factor: 1.0 }, { name: 'Ironbark', factor: 1.15 }, { name: 'Juniper Row', factor: 0.95 },
  { name: 'Kestrel', factor: 1.3 }, { name: 'Lumen', factor: 0.85 }, { name: 'Meridian', factor: 1.05 },
  { name: 'Northbound', factor: 1.2 }, { name: 'Oakhaven', factor: 1.0 }, { name: 'Pioneer Supply Co.', factor: 1.1 },
  { name: 'Quarry & Co.', factor: 0.9 }, { name: 'Redwood Athletics', factor: 1.0 }, { name: 'Summit Lab', factor: 1.4 },
  { name: 'Tidewater', factor: 0.8 }, { name: 'Urban Trail', factor: 0.85 },
];

export const colours = [
  'Black', 'White', 'Navy', 'Grey Melange', 'Charcoal', 'Olive', 'Khaki', 'Burgundy', 'Forest Green',
  'Sky Blue', 'Red', 'Sand', 'Rust', 'Teal', 'Cream', 'Mustard', 'Stone', 'Indigo',
];

export const adjectives = [
  'Classic', 'Essential', 'Heritage', 'Performance', 'Lightweight', 'Organic Cotton', 'Merino', 'Recycled',
  'Slim Fit', 'Relaxed', 'Everyday', 'Premium', 'Vintage', 'Tech', 'Active', 'Trail', 'Urban', 'Signature',
];

/** Product types: sizing scheme (A = apparel XS–XXL, S = shoe sizes, O = one size) and list price range. */
export const productTypes: Array<{ name: string; code: string; sizing: 'A' | 'S' | 'O'; lo: number; hi: number }> = [
  { name: 'T-Shirt', code: 'TSH', sizing: 'A', lo: 12, hi: 45 }, { name: 'Polo Shirt', code: 'POL', sizing: 'A', lo: 25, hi: 80 },
  { name: 'Oxford Shirt', code: 'OXF', sizing: 'A', lo: 35, hi: 120 }, { name: 'Hoodie', code: 'HOD', sizing: 'A', lo: 40, hi: 120 },
  { name: 'Sweater', code: 'SWT', sizing: 'A', lo: 45, hi: 180 }, { name: 'Cardigan', code: 'CRD', sizing: 'A', lo: 50, hi: 160 },
  { name: 'Jacket', code: 'JKT', sizing: 'A', lo: 80, hi: 350 }, { name: 'Parka', code: 'PRK', sizing: 'A', lo: 150, hi: 600 },
  { name: 'Rain Jacket', code: 'RNJ', sizing: 'A', lo: 70, hi: 260 }, { name: 'Fleece', code: 'FLC', sizing: 'A', lo: 40, hi: 130 },
  { name: 'Jeans', code: 'JNS', sizing: 'A', lo: 45, hi: 190 }, { name: 'Chinos', code: 'CHN', sizing: 'A', lo: 40, hi: 130 },
  { name: 'Shorts', code: 'SHR', sizing: 'A', lo: 20, hi: 70 }, { name: 'Joggers', code: 'JOG', sizing: 'A', lo: 30, hi: 90 },
  { name: 'Leggings', code: 'LEG', sizing: 'A', lo: 25, hi: 95 }, { name: 'Dress', code: 'DRS', sizing: 'A', lo: 40, hi: 220 },
  { name: 'Skirt', code: 'SKR', sizing: 'A', lo: 30, hi: 120 }, { name: 'Blazer', code: 'BLZ', sizing: 'A', lo: 90, hi: 380 },
  { name: 'Running Shoe', code: 'RUN', sizing: 'S', lo: 70, hi: 220 }, { name: 'Sneaker', code: 'SNK', sizing: 'S', lo: 50, hi: 180 },
  { name: 'Hiking Boot', code: 'HKB', sizing: 'S', lo: 110, hi: 300 }, { name: 'Chelsea Boot', code: 'CHB', sizing: 'S', lo: 120, hi: 320 },
  { name: 'Sandal', code: 'SND', sizing: 'S', lo: 25, hi: 110 }, { name: 'Loafer', code: 'LOF', sizing: 'S', lo: 80, hi: 260 },
  { name: 'Backpack', code: 'BPK', sizing: 'O', lo: 40, hi: 220 }, { name: 'Tote Bag', code: 'TOT', sizing: 'O', lo: 15, hi: 80 },
  { name: 'Cap', code: 'CAP', sizing: 'O', lo: 15, hi: 45 }, { name: 'Beanie', code: 'BNE', sizing: 'O', lo: 12, hi: 50 },
  { name: 'Scarf', code: 'SCF', sizing: 'O', lo: 20, hi: 120 }, { name: 'Belt', code: 'BLT', sizing: 'O', lo: 20, hi: 110 },
  { name: 'Sunglasses', code: 'SUN', sizing: 'O', lo: 40, hi: 250 }, { name: 'Wallet', code: 'WAL', sizing: 'O', lo: 25, hi: 140 },
  { name: 'Watch', code: 'WAT', sizing: 'O', lo: 90, hi: 600 }, { name: 'Gloves', code: 'GLV', sizing: 'O', lo: 15, hi: 80 },
];

// Middle sizes sell (and are stocked) more often, so they appear more often in the lists.
export const apparelSizes = ['XS', 'S', 'S', 'M', 'M', 'M', 'L', 'L', 'L', 'XL', 'XL', 'XXL'];
export const shoeSizes = ['EU 36', 'EU 37', 'EU 38', 'EU 39', 'EU 40', 'EU 41', 'EU 42', 'EU 43', 'EU 44', 'EU 45', 'EU 46'];

export const adjustmentReasonsDown = ['Damaged in store', 'Shrinkage', 'Damaged in transit', 'Customer display sample'];
export const adjustmentReasonsUp = ['Found during audit', 'Supplier over-delivery'];
