package cluster

import (
	"testing"
)

const testSubject = "$KV.p2p_accounts.a.bob"

// A value as the leader returns it: data "hi" (base64 aGk=) at sequence 7.
const getValueAnswer = `{"type":"io.nats.jetstream.api.v1.stream_msg_get_response",` +
	`"message":{"subject":"$KV.p2p_accounts.a.bob","seq":7,"data":"aGk=","time":"2025-01-01T00:00:00Z"}}`

func TestDecodeMsgGetValue(t *testing.T) {
	e, found, err := decodeMsgGet([]byte(getValueAnswer), testSubject)
	if err != nil || !found || string(e.val) != "hi" || e.rev != 7 {
		t.Fatalf("got %q rev %d found %v err %v", e.val, e.rev, found, err)
	}
}

func TestDecodeMsgGetNotFound(t *testing.T) {
	b := `{"error":{"code":404,"err_code":10037,"description":"no message found"}}`
	if _, found, err := decodeMsgGet([]byte(b), testSubject); found || err != nil {
		t.Fatalf("found %v err %v", found, err)
	}
}

func TestDecodeMsgGetDeleteMarker(t *testing.T) {
	// headers "NATS/1.0\r\nKV-Operation: DEL\r\n\r\n", base64
	b := `{"message":{"subject":"$KV.p2p_accounts.a.bob","seq":8,` +
		`"hdrs":"TkFUUy8xLjANCktWLU9wZXJhdGlvbjogREVMDQoNCg==","time":"2025-01-01T00:00:00Z"}}`
	if _, found, err := decodeMsgGet([]byte(b), testSubject); found || err != nil {
		t.Fatalf("found %v err %v", found, err)
	}
}

func TestDecodeMsgGetOtherSubject(t *testing.T) {
	if _, found, err := decodeMsgGet([]byte(getValueAnswer), "$KV.p2p_accounts.a.eve"); found || err == nil {
		t.Fatalf("answer for another key accepted: found %v err %v", found, err)
	}
}

func TestDecodeMsgGetServerError(t *testing.T) {
	b := `{"error":{"code":503,"err_code":10008,"description":"jetstream temporarily unavailable"}}`
	if _, found, err := decodeMsgGet([]byte(b), testSubject); found || err == nil {
		t.Fatalf("found %v err %v", found, err)
	}
}

// FuzzDecodeMsgGet: arbitrary answers never panic, and a found entry
// always has a revision.
func FuzzDecodeMsgGet(f *testing.F) {
	f.Add([]byte(getValueAnswer))
	f.Add([]byte(`{"error":{"code":404,"err_code":10037}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, found, err := decodeMsgGet(b, testSubject); found && (err != nil || e.rev == 0) {
			t.Fatalf("found with rev %d err %v", e.rev, err)
		}
	})
}
