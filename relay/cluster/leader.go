package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Key-value reads go to the bucket stream's leader (the JetStream API's
// message get), never to a direct get: a direct get may be answered by any
// replica, which can be a moment behind the leader, so a key written and
// acknowledged on one node could read as absent (or old) on another, or
// even on the same one. The leader applies a write before acknowledging
// it, so a leader read sees every acknowledged write.

// leaderGetSubject is the JetStream API subject of a leader-answered
// message get on stream.
func leaderGetSubject(stream string) string { return "$JS.API.STREAM.MSG.GET." + stream }

// maxGetResponse bounds the JSON answer decoded (a record is a few KiB; the
// NATS payload limit bounds what can arrive anyway).
const maxGetResponse = 4 << 20

var errGetResponse = errors.New("cluster: malformed message get response")

type msgGetRequest struct {
	LastBySubject string `json:"last_by_subj"`
}

type msgGetResponse struct {
	Error   *jetstream.APIError `json:"error,omitempty"`
	Message *struct {
		Subject  string `json:"subject"`
		Sequence uint64 `json:"seq"`
		Header   []byte `json:"hdrs,omitempty"`
		Data     []byte `json:"data,omitempty"`
	} `json:"message,omitempty"`
}

// kvEntry is a key's latest value as the leader answered it.
type kvEntry struct {
	val []byte
	rev uint64
}

// leaderGet reads the latest value of key in bucket from the bucket
// stream's leader; found is false when the key does not exist or its
// latest entry is a delete, purge or removal marker.
func (n *Node) leaderGet(ctx context.Context, bucket, key string) (kvEntry, bool, error) {
	req, err := json.Marshal(msgGetRequest{LastBySubject: "$KV." + bucket + "." + key})
	if err != nil {
		return kvEntry{}, false, err
	}
	msg, err := n.nc.RequestWithContext(ctx, leaderGetSubject("KV_"+bucket), req)
	if errors.Is(err, nats.ErrNoResponders) {
		err = jetstream.ErrNoStreamResponse // no leader right now (an election)
	}
	if err != nil {
		return kvEntry{}, false, err
	}
	return decodeMsgGet(msg.Data, "$KV."+bucket+"."+key)
}

// decodeMsgGet decodes a message get answer for subject.
func decodeMsgGet(b []byte, subject string) (kvEntry, bool, error) {
	if len(b) > maxGetResponse {
		return kvEntry{}, false, errGetResponse
	}
	var resp msgGetResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return kvEntry{}, false, errGetResponse
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return kvEntry{}, false, nil
	case resp.Error != nil:
		return kvEntry{}, false, fmt.Errorf("cluster: message get: %w", resp.Error)
	case resp.Message == nil || resp.Message.Subject != subject || resp.Message.Sequence == 0:
		return kvEntry{}, false, errGetResponse
	}
	m := resp.Message
	if len(m.Header) > 0 {
		hdr, err := nats.DecodeHeadersMsg(m.Header)
		if err != nil {
			return kvEntry{}, false, errGetResponse
		}
		if hdr.Get("KV-Operation") != "" || hdr.Get(jetstream.MarkerReasonHeader) != "" {
			return kvEntry{}, false, nil // deleted, purged or removed
		}
	}
	return kvEntry{val: m.Data, rev: m.Sequence}, true, nil
}
