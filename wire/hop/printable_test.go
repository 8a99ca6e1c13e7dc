package hop

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestKeysNotPrintable(t *testing.T) {
	v := newVectors(t)
	conn := v.client
	secrets := [][]byte{v.shared, v.keyC2S, v.keyS2C}
	outputs := []string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, conn), fmt.Sprintf(verb, *conn),
			fmt.Sprintf(verb, conn.seal), fmt.Sprintf(verb, &conn.open))
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, hex.EncodeToString(s)) || strings.Contains(out, string(s)) ||
				strings.Contains(strings.ToUpper(out), strings.ToUpper(hex.EncodeToString(s))) {
				t.Fatalf("formatted state %q shows secret material", out)
			}
		}
		if !strings.Contains(out, "hop.") {
			t.Fatalf("formatting bypassed the redaction: %q", out)
		}
	}
	if bytes.Contains([]byte(fmt.Sprint(conn)), v.relayPriv) {
		t.Fatal("relay key leaked")
	}
}

func TestKeysNotComparable(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Conn](), reflect.TypeFor[sealer](), reflect.TypeFor[opener]()} {
		if typ.Comparable() {
			t.Errorf("%v can be compared with ==", typ)
		}
	}
}
