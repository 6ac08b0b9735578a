package usertoken_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatsvc/chat/adapters/usertoken"
	"github.com/chatsvc/chat/domain"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const app = domain.Token("AbCdEfGhIjKlMnOpQrStUvWx")

// mint signs claims the way an application's server does: any JWT library,
// the secret itself as the HMAC key.
func mint(t *testing.T, secret string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func valid() jwt.MapClaims {
	return jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix()}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for a, b := range c {
		out[a] = b
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// raw builds a token by hand, for what no library would sign.
func raw(header, payload string, sig []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig)
}

func TestAcceptsWhatTheContractAllows(t *testing.T) {
	secret, hash := domain.NewSecret()
	old, oldHash := domain.NewSecret()
	v := usertoken.New(func() time.Time { return now })
	keys := usertoken.Keys{Current: hash, Previous: oldHash}

	c, err := v.Verify(mint(t, secret, valid(), nil), app, keys)
	if err != nil {
		t.Fatal(err)
	}
	if c.App != app || c.User != "alice" || c.Scope != domain.ScopeWrite || c.Chats != nil || c.IsApp() || c.Until.IsZero() {
		t.Fatalf("caller %+v", c)
	}
	c, err = v.Verify(mint(t, secret, with(with(valid(), "scope", "read"), "chats", []int{3, 4}), map[string]any{"kid": "current"}), app, keys)
	if err != nil || c.Scope != domain.ScopeRead || len(c.Chats) != 2 || c.Chats[1] != 4 {
		t.Fatalf("caller %+v, %v", c, err)
	}
	if c, err = v.Verify(mint(t, secret, with(valid(), "chats", []int{}), nil), app, keys); err != nil || c.Chats == nil || len(c.Chats) != 0 {
		t.Fatalf("an empty chats list limits to no chat: %+v, %v", c, err)
	}
	if _, err = v.Verify(mint(t, old, valid(), map[string]any{"kid": "previous"}), app, keys); err != nil {
		t.Fatalf("previous secret within grace: %v", err)
	}
	// Clocks that disagree by less than the leeway.
	early := with(with(valid(), "nbf", now.Add(20*time.Second).Unix()), "iat", now.Add(20*time.Second).Unix())
	if _, err = v.Verify(mint(t, secret, early, nil), app, keys); err != nil {
		t.Fatalf("nbf within leeway: %v", err)
	}
	if _, err = v.Verify(mint(t, secret, with(valid(), "exp", now.Add(-20*time.Second).Unix()), nil), app, keys); err != nil {
		t.Fatalf("exp within leeway: %v", err)
	}
	if _, err = v.Verify(mint(t, secret, with(valid(), "exp", now.Add(usertoken.MaxLifetime).Unix()), nil), app, keys); err != nil {
		t.Fatalf("exp 30 days ahead: %v", err)
	}
	if _, err = v.Verify(mint(t, secret, with(valid(), "sub", strings.Repeat("é", 128)), nil), app, keys); err != nil {
		t.Fatalf("sub of 128 characters: %v", err)
	}
}

func TestRefusesHostileTokens(t *testing.T) {
	secret, hash := domain.NewSecret()
	other, _ := domain.NewSecret()
	old, _ := domain.NewSecret()
	v := usertoken.New(func() time.Time { return now })
	keys := usertoken.Keys{Current: hash} // no previous: rotated out
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	rs256, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, valid()).SignedString(key)
	payload := `{"sub":"alice","exp":` + strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + `}`

	cases := map[string]string{
		"alg none":                  raw(`{"alg":"none","typ":"JWT"}`, payload, nil),
		"alg none, signed":          mint(t, secret, valid(), map[string]any{"alg": "none"}),
		"RS256":                     rs256,
		"HS256 with the public key": mint(t, pubPEM, valid(), nil),
		"HS384": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, valid()).SignedString([]byte(secret))
			return s
		}(),
		"another application's secret":  mint(t, other, valid(), nil),
		"the hash as key, kid previous": mint(t, old, valid(), map[string]any{"kid": "previous"}),
		"unknown kid":                   mint(t, secret, valid(), map[string]any{"kid": "next"}),
		"expired":                       mint(t, secret, with(valid(), "exp", now.Add(-time.Minute).Unix()), nil),
		"nbf ahead":                     mint(t, secret, with(valid(), "nbf", now.Add(time.Minute).Unix()), nil),
		"iat ahead":                     mint(t, secret, with(valid(), "iat", now.Add(time.Minute).Unix()), nil),
		"no exp":                        mint(t, secret, with(valid(), "exp", nil), nil),
		"exp too far":                   mint(t, secret, with(valid(), "exp", now.Add(usertoken.MaxLifetime+time.Hour).Unix()), nil),
		"exp a string":                  mint(t, secret, with(valid(), "exp", "tomorrow"), nil),
		"no sub":                        mint(t, secret, with(valid(), "sub", nil), nil),
		"empty sub":                     mint(t, secret, with(valid(), "sub", ""), nil),
		"sub too long":                  mint(t, secret, with(valid(), "sub", strings.Repeat("a", 129)), nil),
		"sub with a control character":  mint(t, secret, with(valid(), "sub", "al\nice"), nil),
		"sub a number":                  mint(t, secret, with(valid(), "sub", 42), nil),
		"scope admin":                   mint(t, secret, with(valid(), "scope", "admin"), nil),
		"chats of a string":             mint(t, secret, with(valid(), "chats", "1,2"), nil),
		"chats with zero":               mint(t, secret, with(valid(), "chats", []int{0}), nil),
		"chats with a fraction":         mint(t, secret, with(valid(), "chats", []float64{1.5}), nil),
		"non-JSON payload":              raw(`{"alg":"HS256"}`, `not json`, []byte("x")),
		"payload an array":              raw(`{"alg":"HS256"}`, `[1]`, []byte("x")),
		"two parts":                     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0",
		"empty":                         "",
		"10 KB":                         mint(t, secret, with(valid(), "pad", strings.Repeat("x", 10<<10)), nil),
		"the secret itself":             secret,
		"duplicated sub":                dup(t, secret, `{"sub":"alice","sub":"bob","exp":`+strconv.FormatInt(now.Add(time.Hour).Unix(), 10)+`}`),
		"duplicated alg":                dupHeader(t, secret, payload),
		"padded base64":                 mint(t, secret, valid(), nil) + "=",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(tok, app, keys)
			if !errors.Is(err, domain.ErrUnauthorized) {
				t.Fatalf("got %v, want unauthorized", err)
			}
			if tok != "" && strings.Contains(err.Error(), tok) {
				t.Fatal("the error repeats the token")
			}
		})
	}
}

// dup signs a payload written by hand (a library would not write a member twice).
func dup(t *testing.T, secret, payload string) string {
	t.Helper()
	return sign(t, secret, `{"alg":"HS256","typ":"JWT"}`, payload)
}

func dupHeader(t *testing.T, secret, payload string) string {
	t.Helper()
	return sign(t, secret, `{"alg":"none","alg":"HS256","typ":"JWT"}`, payload)
}

func sign(t *testing.T, secret, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

// The duplicate check itself is what refuses a hand-written duplicate: the
// same payload without it verifies.
func TestHandSignedTokensVerify(t *testing.T) {
	secret, hash := domain.NewSecret()
	v := usertoken.New(func() time.Time { return now })
	tok := dup(t, secret, `{"sub":"alice","exp":`+strconv.FormatInt(now.Add(time.Hour).Unix(), 10)+`}`)
	if _, err := v.Verify(tok, app, usertoken.Keys{Current: hash}); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	secret, hash := domain.NewSecret()
	v := usertoken.New(func() time.Time { return now })
	f.Add("")
	f.Add(secret)
	f.Add(raw(`{"alg":"HS256"}`, `{"sub":"a","exp":1}`, []byte("x")))
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix(), "chats": []int{1}})
	s, _ := tok.SignedString([]byte(secret))
	f.Add(s)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := v.Verify(in, app, usertoken.Keys{Current: hash})
		if err != nil {
			if !errors.Is(err, domain.ErrUnauthorized) {
				t.Fatalf("an error that is not unauthorized: %v", err)
			}
			return
		}
		if _, err := domain.ParseUserID("sub", string(c.User)); err != nil || c.App != app {
			t.Fatalf("accepted a caller the contract does not allow: %+v", c)
		}
		for _, n := range c.Chats {
			if n < 1 {
				t.Fatalf("accepted chat %d", n)
			}
		}
	})
}
