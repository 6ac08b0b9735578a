package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The embedded profile acknowledges a write only once it is durable: the
// process is killed (SIGKILL) in the middle of a load and restarted, and
// every message it answered 201 for is there, once, and numbering goes on
// without reusing a number.
func TestEmbeddedSurvivesKill9(t *testing.T) { stopUnderLoad(t, syscall.SIGKILL) }

// SIGTERM drains: requests in flight finish, the process exits cleanly, and
// every acknowledged message is there after a restart.
func TestEmbeddedDrainsOnSIGTERM(t *testing.T) { stopUnderLoad(t, syscall.SIGTERM) }

func stopUnderLoad(t *testing.T, sig syscall.Signal) {
	bin := filepath.Join(t.TempDir(), "api")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr + "/api/v1"
	start := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "CHAT_DATA_DIR="+dataDir, "CHAT_HTTP_ADDR="+addr, "CHAT_LOG_LEVEL=error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("the api did not become ready")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	post := func(path, body string) (int, map[string]any) {
		res, err := http.Post(base+path, "application/json", bytes.NewBufferString(body))
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	cmd := start()
	status, app := post("/chat_applications", `{"name":"crash"}`)
	if status != 201 {
		t.Fatalf("create application: %d", status)
	}
	chats := fmt.Sprintf("/chat_applications/%s/chats", app["token"])
	if status, _ := post(chats, ""); status != 201 {
		t.Fatalf("create chat: %d", status)
	}

	var mu sync.Mutex
	acked := map[int64]string{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// The signal comes in the middle of a load: once this many creates are
	// answered, with the writers still going.
	const underLoad = 200
	loaded := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf("worker %d message %d", w, i)
				status, m := post(chats+"/1/messages", fmt.Sprintf(`{"body":%q}`, body))
				if status != 201 {
					continue // the process is gone: not acknowledged, so not promised
				}
				mu.Lock()
				acked[int64(m["number"].(float64))] = body
				if len(acked) == underLoad {
					close(loaded)
				}
				mu.Unlock()
			}
		}(w)
	}
	select {
	case <-loaded:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%d creates not answered within a minute", underLoad)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	if sig == syscall.SIGTERM && werr != nil {
		t.Fatalf("after SIGTERM the api exited with %v, want a clean exit", werr)
	}
	close(stop)
	wg.Wait()

	cmd = start()
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	seen := map[int64]string{}
	cursor := ""
	for {
		url := base + chats + "/1/messages?limit=200"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data []struct {
				Number int64
				Body   string
			}
			HasMore    bool    `json:"has_more"`
			NextCursor *string `json:"next_cursor"`
		}
		_ = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		for _, m := range page.Data {
			if _, dup := seen[m.Number]; dup {
				t.Fatalf("message %d listed twice", m.Number)
			}
			seen[m.Number] = m.Body
		}
		if !page.HasMore {
			break
		}
		cursor = *page.NextCursor
	}
	maxAcked := int64(0)
	for n, body := range acked {
		if seen[n] != body {
			t.Fatalf("acknowledged message %d (%q) is %q after the restart", n, body, seen[n])
		}
		maxAcked = max(maxAcked, n)
	}
	status, m := post(chats+"/1/messages", `{"body":"after the restart"}`)
	if status != 201 || int64(m["number"].(float64)) <= maxAcked {
		t.Fatalf("after the restart: %d %v, want a number above %d", status, m, maxAcked)
	}
	t.Logf("%d messages acknowledged before %v, all present after the restart", len(acked), sig)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
