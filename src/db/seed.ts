// Entry point of the data seed; the implementation lives in ./seed/ (one file per phase).
export { seedData, seedDemo, type SeedOptions, type SeedSummary } from './seed/index.ts';
