package store

import "testing"

func FuzzParseID(f *testing.F) {
	f.Add(NewID().String())
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err == nil && id.String() != s {
			t.Fatalf("%q parsed to %v", s, id)
		}
	})
}
