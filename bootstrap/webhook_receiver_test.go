package bootstrap_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// receiver is an application's server receiving webhooks: it keeps every
// request it was sent, and answers as answer says (a status; 0 hangs until
// the sender gives up).
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []hook
	answer func(h hook, seen []hook) int
	srv    *http.Server // under mu: up replaces it while cleanup may stop it
}

// hook is one request a receiver got.
type hook struct {
	ID, Timestamp, Signature string
	Path                     string
	Body                     []byte
	Type                     string
	Chat, Number             int64
	Text                     string
}

func newReceiver(t *testing.T, answer func(h hook, seen []hook) int) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{URL: "http://" + ln.Addr().String() + "/hooks", answer: answer}
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle)}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down stops listening: connections are refused until up.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	_ = srv.Close()
}

// up listens again on the same address.
func (r *receiver) up(t *testing.T) {
	ln, err := net.Listen("tcp", strings.TrimSuffix(strings.TrimPrefix(r.URL, "http://"), "/hooks"))
	if err != nil {
		t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	h := hook{ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
		Signature: req.Header.Get("webhook-signature"), Body: body, Path: req.URL.Path}
	var b struct {
		Type string `json:"type"`
		Data struct {
			Chat   int64  `json:"chat"`
			Number int64  `json:"number"`
			Body   string `json:"body"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &b)
	h.Type, h.Chat, h.Number, h.Text = b.Type, b.Data.Chat, b.Data.Number, b.Data.Body
	r.mu.Lock()
	seen := append([]hook(nil), r.got...)
	r.got = append(r.got, h)
	r.mu.Unlock()
	status := r.answer(h, seen)
	if status == 0 {
		<-req.Context().Done() // the sender's timeout
		return
	}
	if status >= 300 && status < 400 {
		w.Header().Set("Location", "/elsewhere") // followed, it would come back here
	}
	w.WriteHeader(status)
}

func (r *receiver) hooks() []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hook(nil), r.got...)
}

// verified checks a request's signature as the receiver would, by
// Standard Webhooks' words and the standard library alone (not the
// library the service signs with): HMAC-SHA256, keyed with the secret's
// bytes, over "id.timestamp.body".
func verified(secret string, h hook) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.ID + "." + h.Timestamp + "."))
	mac.Write(h.Body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Signature) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// always answers every request with status.
func always(status int) func(hook, []hook) int { return func(hook, []hook) int { return status } }

// attemptsOf counts the requests carrying webhook-id id among seen.
func attemptsOf(seen []hook, id string) int {
	n := 0
	for _, h := range seen {
		if h.ID == id {
			n++
		}
	}
	return n
}
