package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// SecretPrefix starts every application secret, so that one pasted where a
// user token belongs (or into a log) is recognised for what it is.
const SecretPrefix = "sk_"

// secretBytes of randomness make a secret of 89 characters: longer than
// HMAC-SHA256's 64-byte block, which matters (see SecretHash).
const secretBytes = 64

// SecretHash is all the service keeps of an application secret: its
// SHA-256. A secret is 512 random bits, so the hash needs no salt or
// stretching to keep it from being recovered.
//
// It is also the key user tokens are verified with. HMAC hashes a key longer
// than its block (64 bytes for SHA-256) before using it (RFC 2104, section
// 2), so a token an application's server signs with its secret, with any JWT
// library, verifies with the secret's SHA-256: the service never needs the
// secret itself. Whoever holds the hash can mint user tokens, so it is kept
// as a credential (never logged, never returned), though it cannot stand in
// for the secret on a request.
type SecretHash [sha256.Size]byte

// NewSecret draws a fresh application secret; the caller shows it once and
// keeps only its hash.
func NewSecret() (secret string, hash SecretHash) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // rand.Read never fails on supported platforms
	}
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the hash a secret is kept as.
func HashSecret(secret string) SecretHash { return sha256.Sum256([]byte(secret)) }

// LooksLikeSecret tells a presented bearer credential that is shaped like a
// secret from one that may be a user token.
func LooksLikeSecret(credential string) bool { return strings.HasPrefix(credential, SecretPrefix) }

// Matches compares in constant time: how long it takes says nothing about
// how much of a guess was right.
func (h SecretHash) Matches(secret string) bool {
	got := HashSecret(secret)
	return subtle.ConstantTimeCompare(got[:], h[:]) == 1
}

// IsZero says whether no secret is set.
func (h SecretHash) IsZero() bool { return h == SecretHash{} }

// Hex is how a hash is kept (the store, Redis): hex, "" for none.
func (h SecretHash) Hex() string {
	if h.IsZero() {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// ParseSecretHash reads what Hex wrote.
func ParseSecretHash(text string) (SecretHash, bool) {
	var h SecretHash
	if text == "" {
		return h, true
	}
	b, err := hex.DecodeString(text)
	if err != nil || len(b) != len(h) {
		return SecretHash{}, false
	}
	copy(h[:], b)
	return h, true
}
