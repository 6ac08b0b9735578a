package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

var client = &http.Client{Timeout: 10 * time.Second}

// call sends body as-is when it is a string or []byte, else as JSON.
func (s *stack) call(t testing.TB, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	var sent []byte
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		sent = raw
	}
	if body != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	checkAgainstOpenAPI(t, req, sent, res, raw)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return out
}

func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	return r
}

// wantError checks the error body's shape and code.
func (r response) wantError(t testing.TB, status int, code string) {
	t.Helper()
	r.want(t, status)
	e, ok := r.Body["error"].(map[string]any)
	if !ok || e["code"] != code || e["message"] == "" {
		t.Fatalf("error body %s, want code %q and a message", r.Raw, code)
	}
	if r.Header.Get("X-Request-ID") == "" {
		t.Fatal("error answer without X-Request-ID")
	}
}

func (r response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

func (r response) num(key string) int64 {
	f, _ := r.Body[key].(float64)
	return int64(f)
}

func (r response) items(t testing.TB) []map[string]any {
	t.Helper()
	data, ok := r.Body["data"].([]any)
	if !ok {
		t.Fatalf("no data array in %s", r.Raw)
	}
	out := make([]map[string]any, len(data))
	for i, d := range data {
		out[i] = d.(map[string]any)
	}
	return out
}

// eventually retries check until it passes or the wait ends. Persistence is
// asynchronous by design; this bounds the wait, it does not time anything.
func eventually(t testing.TB, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// rawRequest writes raw bytes to the server and reads the answer until the
// server closes (or a deadline, so that a server that hangs fails the test).
func rawRequest(t testing.TB, s *stack, raw string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(conn)
	return string(out)
}
