package bootstrap_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/chatsvc/chat/adapters/httpapi"
	"github.com/chatsvc/chat/bootstrap"
)

// A worker killed (SIGKILL) while a receiver holds its delivery open: once
// the dead worker's claim runs out, another worker sends the delivery
// again, with the same webhook-id and body, signed.
func TestWebhookWorkerKilledMidDelivery(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/worker").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// An attempt may last 2 s: the kill comes well within it, and a claim
	// (twice that and 5 s) runs out within the test's wait.
	env := productionEnv(t, maps.Clone(webhookEnv))
	env["CHAT_WEBHOOK_TIMEOUT"] = "2s"
	env["CHAT_CLAIM_IDLE"] = "1s"
	cfg := loadConfig(t, env)
	s := &stack{Config: cfg, t: t}
	s.addWorker(with(env, "CHAT_WORKER_ROLES", "persist,index"), "keeper")
	var srv *httpapi.Server
	startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	s.URL = "http://" + srv.Addr()

	arrived := make(chan struct{}, 1)
	rcv := newReceiver(t, func(h hook, seen []hook) int {
		if len(seen) == 0 {
			arrived <- struct{}{}
			return 0 // held open until the sender is gone
		}
		return 200
	})
	tok := newApplication(t, s, "Killed")
	_, secret := register(t, s, tok, rcv.URL)
	say(t, s, tok, chatWith(t, s, tok), "through a crash")

	doomed := exec.Command(bin)
	for k, v := range with(env, "CHAT_WORKER_ROLES", "webhooks") {
		doomed.Env = append(doomed.Env, k+"="+v)
	}
	doomed.Env = append(doomed.Env, "CHAT_CONSUMER_NAME=doomed", "PATH="+os.Getenv("PATH"))
	if err := doomed.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = doomed.Process.Kill(); _ = doomed.Wait() }()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the doomed worker sent nothing")
	}
	if err := doomed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = doomed.Wait()

	s.addWorker(with(env, "CHAT_WORKER_ROLES", "webhooks"), "survivor")
	eventually(t, "the survivor sent the delivery again", func() bool { return len(rcv.hooks()) >= 2 })
	got := rcv.hooks()
	if got[0].ID != got[1].ID || string(got[0].Body) != string(got[1].Body) || !verified(secret, got[1]) {
		t.Fatalf("first attempt %+v, after the crash %+v: want the same webhook-id and body, signed", got[0], got[1])
	}
}

// Embedded, a delivery not made yet survives a restart: the process stops
// with it pending, and the next one delivers it with the same webhook-id.
func TestWebhookEmbeddedDeliveryOutlivesRestart(t *testing.T) {
	env := baseEnv(webhookEnv, map[string]string{"CHAT_DATA_DIR": t.TempDir()})
	rcv := newReceiver(t, always(204))
	rcv.down()
	first := startEmbedded(t, env)
	tok := newApplication(t, first.stack, "Restarted")
	id, _ := register(t, first.stack, tok, rcv.URL)
	say(t, first.stack, tok, chatWith(t, first.stack, tok), "kept on disk")
	deliveries := "/api/v1/chat_applications/" + tok + "/webhooks/" + id + "/deliveries"
	var pending map[string]any
	eventually(t, "a refused attempt in the log", func() bool {
		items := first.stack.call(t, "GET", deliveries, nil).want(t, 200).items(t)
		if len(items) == 1 && items[0]["attempts"].(float64) >= 1 {
			pending = items[0]
		}
		return pending != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := first.app.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	rcv.up(t)
	second := startEmbedded(t, env)
	eventually(t, "delivered after the restart", func() bool { return len(rcv.hooks()) == 1 })
	if rcv.hooks()[0].ID != pending["event_id"] {
		t.Fatalf("delivered %s, the log had %v", rcv.hooks()[0].ID, pending)
	}
	eventually(t, "the log says delivered", func() bool {
		items := second.stack.call(t, "GET", deliveries, nil).want(t, 200).items(t)
		return len(items) == 1 && items[0]["state"] == "delivered"
	})
}

type embedded struct {
	stack *stack
	app   *fx.App
}

func startEmbedded(t *testing.T, env map[string]string) embedded {
	cfg := loadConfig(t, env)
	var srv *httpapi.Server
	app := startApp(t, bootstrap.API(cfg), fx.Populate(&srv))
	return embedded{stack: &stack{URL: "http://" + srv.Addr(), Config: cfg, t: t}, app: app}
}

// with is env with key set to value.
func with(env map[string]string, key, value string) map[string]string {
	out := maps.Clone(env)
	out[key] = value
	return out
}

// A receiver that holds every request for the whole timeout holds up its
// own deliveries only: another endpoint's, of the same chat, go on.
func TestWebhookHangingReceiverHoldsUpNoOther(t *testing.T) {
	s := embeddedStack(t, with(webhookEnv, "CHAT_WEBHOOK_TIMEOUT", "10s"))
	hanging := newReceiver(t, always(0))
	fine := newReceiver(t, always(200))
	tok := newApplication(t, s, "Held")
	register(t, s, tok, hanging.URL)
	register(t, s, tok, fine.URL)
	chat := chatWith(t, s, tok)
	for i := range 10 {
		say(t, s, tok, chat, "m"+strconv.Itoa(i))
	}
	// Within the wait, the hanging receiver has had at most two attempts
	// (10 s each): the other endpoint's ten must not wait behind them.
	eventually(t, "the other endpoint got all ten", func() bool { return len(fine.hooks()) == 10 })
	hanging.down() // its attempt under way ends now, not at the timeout
}
