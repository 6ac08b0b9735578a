package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatsvc/chat/adapters/webhook"
	"github.com/chatsvc/chat/domain"
)

// The signature of the Standard Webhooks specification's published example.
func TestSignsAsTheSpecification(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %q, %v", got, err)
	}
}

// verify checks a delivery as a receiver would, by the specification's
// words and the standard library alone: HMAC-SHA256, keyed with the
// secret's bytes, over "id.timestamp.body".
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func TestDeliversSigned(t *testing.T) {
	secret := webhook.NewSecret()
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.Store([]any{r.Header.Clone(), body})
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.NewGuard(true), time.Second)
	at := time.Now()
	body := []byte(`{"type":"message.created","timestamp":"2026-12-03T10:00:00Z","data":{"number":1}}`)
	out := s.Send(context.Background(), webhook.Delivery{URL: srv.URL, Secret: secret, ID: "evt_1", At: at, Body: body})
	if !out.Delivered() || out.Status != http.StatusNoContent {
		t.Fatalf("outcome %+v", out)
	}
	seen := got.Load().([]any)
	h, b := seen[0].(http.Header), seen[1].([]byte)
	if h.Get("webhook-id") != "evt_1" || h.Get("webhook-timestamp") != strconv.FormatInt(at.Unix(), 10) || string(b) != string(body) {
		t.Fatalf("headers %v, body %s", h, b)
	}
	if !verify(secret, h, b) {
		t.Fatal("the signature does not verify by the specification")
	}
	if verify(webhook.NewSecret(), h, b) {
		t.Fatal("the signature verifies with another secret")
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	if err := wh.Verify(b, h); err != nil {
		t.Fatalf("the library's receiver refuses it: %v", err)
	}
}

func TestFailedAttempts(t *testing.T) {
	var redirected atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Add(1) }))
	defer target.Close()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, r, target.URL, http.StatusFound)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the slow handler
	s := webhook.NewSender(webhook.NewGuard(true), 200*time.Millisecond)
	send := func(path string) webhook.Outcome {
		return s.Send(context.Background(), webhook.Delivery{URL: srv.URL + path, Secret: webhook.NewSecret(), ID: "evt_1", At: time.Now(), Body: []byte(`{}`)})
	}
	if out := send("/500"); out.Delivered() || out.Status != 500 {
		t.Errorf("500: %+v", out)
	}
	if out := send("/redirect"); out.Delivered() || out.Status != http.StatusFound || redirected.Load() != 0 {
		t.Errorf("a redirect was followed or counted as delivered: %+v, %d", out, redirected.Load())
	}
	if out := send("/slow"); out.Delivered() || out.Status != 0 || out.Err == nil {
		t.Errorf("a receiver past the timeout: %+v", out)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	out := s.Send(context.Background(), webhook.Delivery{URL: down.URL, Secret: webhook.NewSecret(), ID: "evt_1", At: time.Now(), Body: []byte(`{}`)})
	if out.Delivered() || out.Err == nil {
		t.Errorf("a receiver that is down: %+v", out)
	}
}

func TestRefusesPrivateURLs(t *testing.T) {
	g := webhook.NewGuard(false)
	g.Lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "public.test":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		case "mixed.test":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")}, nil
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, bad := range []string{
		"http://127.0.0.1/hook", "http://localhost:8080/", "http://[::1]/", "http://10.1.2.3/", "http://172.16.0.1/",
		"http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fd00:ec2::254]/",
		"http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/", "http://[64:ff9b::a00:1]/", "http://224.0.0.1/",
		"http://mixed.test/", "http://nowhere.test/", "ftp://public.test/", "public.test/hook", "http:///x",
		"http://user:pass@public.test/", "https://public.test/#frag", "http://" + strings.Repeat("a", 2100) + ".test/",
	} {
		_, err := g.CheckURL(context.Background(), bad)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Field != "url" {
			t.Errorf("%.60s: %v, want a validation error of url", bad, err)
		}
	}
	for _, good := range []string{"https://public.test/hooks?x=1", "http://93.184.216.34:8080/", "https://[2606:2800:220:1:248:1893:25c8:1946]/"} {
		if _, err := g.CheckURL(context.Background(), good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	if _, err := webhook.NewGuard(true).CheckURL(context.Background(), "http://127.0.0.1:9/"); err != nil {
		t.Errorf("allowed private: %v", err)
	}
}

// A name that resolved to a public address when it was registered and
// resolves to loopback when a delivery connects (DNS rebinding) is refused
// at the connection: the local receiver never sees the request.
func TestRefusesRebindingAtConnect(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	var lookups atomic.Int32
	g := webhook.NewGuard(false)
	g.Lookup = func(context.Context, string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	url := "http://rebind.test:" + port + "/hook"
	if _, err := g.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("registration: %v", err)
	}
	out := webhook.NewSender(g, time.Second).Send(context.Background(), webhook.Delivery{URL: url, Secret: webhook.NewSecret(), ID: "evt_1", At: time.Now(), Body: []byte(`{}`)})
	if out.Delivered() || !errors.Is(out.Err, webhook.ErrForbiddenAddress) || hits.Load() != 0 {
		t.Fatalf("outcome %+v, receiver hit %d times", out, hits.Load())
	}
	// A literal private address in the URL is refused at connect too.
	out = webhook.NewSender(webhook.NewGuard(false), time.Second).Send(context.Background(), webhook.Delivery{URL: srv.URL, Secret: webhook.NewSecret(), ID: "evt_1", At: time.Now(), Body: []byte(`{}`)})
	if out.Delivered() || hits.Load() != 0 {
		t.Fatalf("outcome %+v, receiver hit %d times", out, hits.Load())
	}
}

func TestRetrySchedule(t *testing.T) {
	first := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	at, total := first, time.Duration(0)
	attempts := 0
	for attempt := 1; ; attempt++ {
		wait, ok := webhook.NextRetry(attempt, first, at)
		if !ok {
			attempts = attempt
			break
		}
		nominal := min(webhook.FirstRetry<<(attempt-1), webhook.MaxInterval)
		if attempt > 40 {
			nominal = webhook.MaxInterval
		}
		if wait < nominal*7/10 || wait > nominal*13/10 {
			t.Fatalf("attempt %d waits %v, nominal %v", attempt, wait, nominal)
		}
		at, total = at.Add(wait), total+wait
	}
	if total < 24*time.Hour {
		t.Fatalf("retried for %v only", total)
	}
	if attempts > 30 {
		t.Fatalf("%d attempts: the schedule does not space out", attempts)
	}
	if w, _ := webhook.NextRetry(1, first, first); w > 10*time.Second {
		t.Fatalf("the first retry waits %v", w)
	}
}
