package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// SecretPrefix starts an endpoint's signing secret, as Standard Webhooks has it.
const SecretPrefix = "whsec_"

// NewSecret draws an endpoint's signing secret: 32 random bytes, base64, after whsec_.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // rand.Read never fails on supported platforms
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign is the webhook-signature header of one delivery: "v1,<base64 of
// HMAC-SHA256 over id.timestamp.body>", keyed with the secret's bytes.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", fmt.Errorf("signing secret: %w", err)
	}
	return wh.Sign(id, at, body)
}
