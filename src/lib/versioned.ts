// Optimistic locking: an update names the version it was based on; if someone saved in between,
// nothing is written and the caller gets the current row to show.
import { HttpError } from './errors.ts';

export class VersionConflict<Row = unknown> extends HttpError {
  constructor(readonly current: Row, what = 'record') {
    super(409, `Someone else changed this ${what} while you were editing it. Your changes were not saved: review the current values below and try again.`);
  }
}
