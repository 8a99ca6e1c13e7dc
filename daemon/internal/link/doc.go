// Package link owns the daemon's one connection to the relay: QUIC dial,
// the hop handshake with the relay key pinned, one bidirectional stream,
// one reader and one writer goroutine, request/response correlation,
// keepalive, and reconnecting with jittered exponential backoff, in
// rotation over the addresses of one relay deployment (nodes that share one
// relay key, see relay/CLUSTER.md).
//
// # What it promises
//
//   - The relay key is pinned: from the configuration, or trusted on first
//     use and handed to [Config.RecordPin] before the connection is used.
//     The one pin covers every address: a mismatch on any of them is a hard
//     error: the link stops dialling (every address), reports it in
//     [Link.State] and the log, and never retries silently.
//   - After a failed dial or an ended connection (the relay closed it, said
//     it is shutting down, left a Ping unanswered for [Config.PongTimeout],
//     QUIC lost it, or the Handler ended it with [Conn.Close]) the link
//     waits the backoff and dials the next address, wrapping around; [State.Addr] names the address in use. What to do on a new connection (Resume, resending
//     unaccepted envelopes) is the [Handler]'s job.
//   - Only the writer goroutine writes to the stream. Others enqueue into a
//     bounded queue: [Conn.Write] waits for room (with a context),
//     [Conn.TryWrite] fails with [ErrQueueFull]; the reader never blocks on
//     the queue. The writer writes every frame already queued and flushes
//     the stream buffer once the queue is empty, so frames queued together
//     leave in one stream write (the buffer holds only sealed frames).
//   - Acks of stored deliveries have a lane of their own (ack.go):
//     [Conn.Ack] never blocks and does not depend on room in the queue (a
//     queue full of Sends cannot drop an Ack); it fails only on an ended
//     connection or when 65,536 ids are already waiting ([ErrQueueFull]).
//     The writer serves the lane first whenever it runs, before each frame
//     it takes from the queue and in the shutdown drain, as Acks of up to
//     wire.MaxBatchIDs ids on version 2 and of one id on version 1. An Ack
//     may so overtake queued frames (Sends: unrelated to it); Acks keep
//     the order of the Ack calls among themselves.
//   - Protocol version 2 (wire.ProtocolVersion) is offered; a relay that
//     refuses it with CodeVersion (an older relay) is dialled once more,
//     on a new QUIC connection, offering version 1, which is then used
//     (logged as a relay speaking an older protocol). On version 2 the
//     writer merges Acks already queued one behind the other into one
//     Ack of up to wire.MaxBatchIDs ids, never waiting for more and never
//     reordering frames (batch.go); on version 1 it writes them as queued,
//     and a batched Ack or Accepted from the relay is a protocol violation
//     that ends the connection. [Conn.Version] says which version is in use.
//   - [Config.Transport] lets several links dial from one QUIC transport
//     (one UDP socket, owned by the caller); by default every connection
//     has a socket of its own.
//   - On cancellation the writer drains the pending Acks and the frames
//     already queued (within [Config.DrainTime]), then the connection is
//     closed cleanly.
//
// # What it does not do
//
// It does not authenticate (Register/Login/Resume), interpret deliveries or
// keep any state across connections: that is the engine's job through the
// [Handler] callbacks. It never logs frame contents.
package link
