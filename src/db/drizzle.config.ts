import { defineConfig } from 'drizzle-kit';

// Lives under src/db so the top level stays as the project layout wants it:
//   npm run db:generate  (drizzle-kit generate --config src/db/drizzle.config.ts)
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
