/**
 * Reelay's words, used the same way in every room.
 *
 * - task: one client request for one video, from create to a terminal status. It has an internal
 *   id (never shown) and a public id minted in the format of the dialect that created it.
 * - dialect: one client wire format (official Kling, new-api passthrough, EvoLink, ...). A dialect
 *   parses a body into a VideoRequest and renders a task back in its own words.
 * - VideoRequest: the one normalized request every dialect maps to; its rules are checked once.
 * - provider: an upstream that turns a VideoRequest into a video (`preview`, `kling`, resellers).
 * - attempt: one try of the engine at a task; counted so a poison task stops being retried.
 * - lease: the right of one worker to move a task for a short time. A lease that is not renewed
 *   expires and the task becomes due again, so a dead worker never strands a task.
 * - due: a task is due when its `due_at` has passed; queued and running tasks are always due at
 *   some time, terminal tasks never (due_at is null), so the claim query never scans old tasks.
 * - delivery: one outbound notification of a task's status change to a client: a signed POST to
 *   its callback URL, queued with the change and retried until the receiver answers 2xx.
 * - hold: credits reserved at create, in the create's transaction, and at the task's end captured
 *   (the seconds delivered) or released, in the transaction of its last status change. Every hold,
 *   capture and release is a ledger row (src/billing/).
 * @module
 */
export {};
