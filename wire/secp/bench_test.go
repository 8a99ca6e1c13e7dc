package secp

import "testing"

func BenchmarkECDH(b *testing.B) {
	k, peer := newKey(b), newKey(b).Public()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.ECDH(peer); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	k, msg := newKey(b), make([]byte, 200)
	b.ReportAllocs()
	for b.Loop() {
		k.Sign("bench", msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	k, msg := newKey(b), make([]byte, 200)
	sig, pub := k.Sign("bench", msg), k.Public()
	b.ReportAllocs()
	for b.Loop() {
		if !pub.Verify("bench", msg, sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GeneratePrivateKey(); err != nil {
			b.Fatal(err)
		}
	}
}
