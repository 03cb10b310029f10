/**
 * Loads every change reader so each registers itself in `deltaReaders` (delta.ts). A new
 * mechanism is one module and one import here.
 */
import './delta-ad.ts';
import './delta-timestamp.ts';

export {};
