/**
 * Writes a task's outcome: state and a work note, the note at most once. Work notes are journal
 * entries: every PATCH that carries one appends another, so a PATCH whose answer was lost after
 * the instance committed it (T1 in the field cases) would add the note twice if simply resent.
 * Each note ends with a marker; before sending one, the local record of sent notes is asked,
 * then the task's journal (sys_journal_field) is searched for the marker.
 */
import type { Logger } from 'pino';

import { CallsignError } from '../../core/errors.ts';
import type { StateStore } from './servicenow-source.ts';
import type { TableClient } from './table-client.ts';

/** ServiceNow's sc_task states (choice values of `state`). */
export const TaskState = {
  Open: '1',
  WorkInProgress: '2',
  ClosedComplete: '3',
  ClosedIncomplete: '4',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export interface TaskUpdate {
  source: string;
  table: string;
  sysId: string;
  number: string;
  state: TaskState;
  /** Note text; the marker is appended. */
  note?: string;
  /** Names this note among the task's notes (`closed`, `incomplete`); one per id. */
  noteId?: string;
}

/** Sends the update; throws the client's error (retryable ones are worth a later retry). */
export async function updateTask(
  ctx: { client: TableClient; state: StateStore; log: Logger },
  update: TaskUpdate,
): Promise<{ noteSent: boolean }> {
  const body: Record<string, string> = { state: update.state };
  let noteSent = false;
  const marker = `[callsign:${update.source}:${update.noteId ?? 'note'}]`;
  const key = `servicenow:${update.source}:note:${update.sysId}:${update.noteId ?? 'note'}`;

  if (update.note !== undefined) {
    const already =
      (await ctx.state.getState(key)) !== undefined || (await inJournal(ctx, update, marker));
    if (!already) {
      body.work_notes = `${update.note}\n${marker}`;
      noteSent = true;
    } else await ctx.state.setState(key, 'sent');
  }

  await ctx.client.patch(update.table, update.sysId, body);
  if (noteSent) await ctx.state.setState(key, 'sent');
  ctx.log.info({ task: update.number, state: update.state, noteSent }, 'servicenow task updated');
  return { noteSent };
}

/** Whether a note with the marker is already in the task's journal. */
async function inJournal(
  ctx: { client: TableClient; log: Logger },
  update: TaskUpdate,
  marker: string,
): Promise<boolean> {
  const query = `element_id=${update.sysId}^element=work_notes^ORDERBYsys_created_on`;
  try {
    for await (const entry of ctx.client.list('sys_journal_field', {
      query,
      fields: ['value'],
    })) {
      if (typeof entry.value === 'string' && entry.value.includes(marker)) return true;
    }
    return false;
  } catch (err) {
    // Without read access to the journal, the local record is all there is to go by.
    if (err instanceof CallsignError && err.code === 'auth') {
      ctx.log.warn({ task: update.number }, 'servicenow journal not readable');
      return false;
    }
    throw err;
  }
}
