// Package cluster runs several p2p-relay processes as one relay over NATS
// JetStream: it implements the relay's storage interface ([store.Store])
// and routing interface (relay.Router) on a NATS cluster, so that users
// connected to different relay nodes reach each other and the death of a
// relay node loses nothing.
//
// # What it owns
//
//   - [Node]: one relay node's connection to NATS. It is the node's
//     [store.Store], and [Node.Router] is its relay.Router.
//
//   - The JetStream layout (fixed names, the same on every node): the
//     stream P2P_MAIL with one subject p2p.mail.<user> per recipient and
//     one message (CBOR) per envelope, removed on Ack; the key-value bucket
//     p2p_accounts (a.<user>: account, p.<user>: one-time prekeys); the
//     bucket p2p_mailidx (i.<user>.<id hex>: the id's dedup record, naming
//     the envelope's stream sequence and kept after the Ack until the
//     envelope would have expired; m.<user>: quota accounting); and the
//     core NATS subject p2p.notify.<user> ("new mail" and "attached
//     elsewhere" notices for the node holding the user's connection).
//
//   - The mailbox pipeline: writes for one recipient are queued on one of
//     Config.Workers workers, which takes whatever is queued as a batch and
//     runs each stage of it as concurrent requests (reads of accounts,
//     accounting and index entries; asynchronous publishes in submission
//     order; index entries and one accounting update per recipient), so a
//     batch costs a few round trips instead of each message costing ten.
//     Acks are batched the same way and delete by the sequence Pending
//     returned.
//
// # What it promises
//
//   - The same promises as the embedded store: Append reports Stored only
//     after JetStream acknowledged the write (which, with Replicas > 1,
//     means a quorum of NATS servers stored it); Append is idempotent per
//     (recipient, id): a re-send within JetStream's Nats-Msg-Id window
//     (Config.DedupWindow) is never written twice, and the index entry,
//     recorded after the write and kept after the Ack until the envelope
//     would have expired, makes any later re-send a Duplicate (a copy
//     written because the entry was not yet visible is deleted again);
//     per-recipient order follows the stream sequence, which is the Seq
//     reported by Append and used by Pending: a batch publishes in
//     submission order over one connection and the next batch of the
//     recipient starts after every acknowledgement of the previous one.
//   - Reads see every acknowledged write, whichever node wrote it: the
//     mail stream has no direct gets and key-value entries are read with
//     the stream leader's message get (see leader.go), never a direct get
//     that a lagging replica may answer. So a send right after a
//     registration on another node finds the account, and an Ack on a node
//     that never returned the envelope finds it through its index entry.
//     An Ack costs at most two reads and a delete, never a scan of the
//     mailbox: an id that neither this node's Pending returned nor an index
//     entry names is not looked for. An Ack removes the envelope or leaves
//     it in the mailbox, to be delivered again: one that finds nothing
//     reports Removed false, one whose reads or delete got no answer
//     reports the error, never a removal.
//   - A username is created once and a one-time prekey is handed out once,
//     whichever node is asked: both go through compare-and-set on a
//     JetStream key-value entry.
//   - The per-user message quota is enforced by the NATS server itself
//     (MaxMsgsPerSubject with DiscardNewPerSubject); the byte quota is
//     checked against the user's accounting entry plus the envelopes before
//     it in the same batch (it can be exceeded by the envelopes in flight
//     on other nodes at the same moment, never by more).
//   - Records are CBOR in the project's strict encoding; a record that fails
//     to decode is [store.ErrCorrupt], never trusted. Bodies are opaque
//     end-to-end ciphertext; nothing secret reaches a log, an error or a
//     metric label (metric labels are fixed operation names).
//
// # What it does not do
//
// It does not run or configure the NATS servers (see relay/CLUSTER.md), and
// it does not secure the NATS connections: run NATS on a private network or
// with TLS and credentials in the URLs. It does not share the relay key:
// the operator copies the key file to every node. It does not redeliver:
// an envelope whose Ack failed stays in the mailbox, and [Node.Pending]
// returns it again (the relay calls it on the recipient's next
// connection). Expiry sweeps decrement the accounting exactly once per envelope (whichever node
// deletes it), but a node that dies between deleting envelopes and
// updating the accounting leaves the byte count that batch high until the
// entry expires. A re-send of an id later than the dedup window after an
// append that died between its write and its index entry is written again
// (the daemon drops the id it already has).
package cluster
