package bootstrap_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func webhookReplayCases(t *testing.T, s *stack) {
	rcv := newReceiver(t, always(200))
	tok := newApplication(t, s, "Replayed")
	id, secret := register(t, s, tok, rcv.URL)
	base := "/api/v1/chat_applications/" + tok + "/webhooks/" + id
	a, b := chatWith(t, s, tok), chatWith(t, s, tok)
	for _, text := range []string{"m1", "m2", "m3"} {
		say(t, s, tok, a, text)
	}
	say(t, s, tok, b, "b1")
	eventually(t, "four deliveries", func() bool { return len(rcv.hooks()) == 4 })
	byText := map[string]string{} // webhook-id by message
	for _, h := range rcv.hooks() {
		byText[h.Text] = h.ID
	}
	var log []map[string]any
	eventually(t, "four delivered in the log", func() bool {
		log = s.call(t, "GET", base+"/deliveries", nil).want(t, 200).items(t)
		return len(log) == 4 && log[0]["state"] == "delivered" && log[3]["state"] == "delivered"
	})
	position := map[string]string{}
	for _, d := range log {
		position[d["event_id"].(string)] = d["position"].(string)
	}
	after := position[byText["m1"]]
	if after == "" || position[byText["m2"]] == after {
		t.Fatalf("positions %v", position)
	}

	r := s.call(t, "POST", base+"/replay", map[string]any{"after": after}).want(t, 202)
	if r.num("replayed") != 3 {
		t.Fatalf("replayed %s, want m2, m3 and b1", r.Raw)
	}
	eventually(t, "three sent again", func() bool { return len(rcv.hooks()) == 7 })
	again := rcv.hooks()[4:]
	var texts []string
	for _, h := range again {
		texts = append(texts, h.Text)
		if h.ID != byText[h.Text] || !verified(secret, h) {
			t.Fatalf("replayed %+v: want the webhook-id %s, signed", h, byText[h.Text])
		}
	}
	if got := strings.Join(texts, " "); !strings.Contains(got, "m2") || strings.Index(got, "m2") > strings.Index(got, "m3") || !strings.Contains(got, "b1") {
		t.Fatalf("sent again %v: want m2 before m3, and b1", texts)
	}

	s.call(t, "POST", base+"/replay", map[string]any{"after": "soon"}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", base+"/replay", map[string]any{"after": 5}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", "/api/v1/chat_applications/"+tok+"/webhooks/wh_000000000000000000000000/replay", nil).want(t, 404)
	if n := len(rcv.hooks()); n != 7 {
		t.Fatalf("refused replays sent %d more", n-7)
	}
	if r := s.call(t, "POST", base+"/replay", nil).want(t, 202); r.num("replayed") != 4 {
		t.Fatalf("a replay of everything: %s", r.Raw)
	}
	eventually(t, "all four sent again", func() bool { return len(rcv.hooks()) == 11 })
}

// An endpoint to which nothing was delivered for CHAT_WEBHOOK_DISABLE_AFTER
// is disabled when one more delivery is given up, with a webhook.disabled
// record in its log; what comes meanwhile waits, and a replay enables it.
func TestWebhookEndpointDisabled(t *testing.T) {
	env := maps.Clone(webhookEnv)
	env["CHAT_WEBHOOK_RETRY_FOR"] = "200ms"
	env["CHAT_WEBHOOK_DISABLE_AFTER"] = "1ms"
	t.Run("embedded", func(t *testing.T) { webhookDisabledCase(t, embeddedStack(t, env)) })
	t.Run("production", func(t *testing.T) { webhookDisabledCase(t, productionStack(t, env)) })
}

func webhookDisabledCase(t *testing.T, s *stack) {
	healthy := make(chan struct{})
	rcv := newReceiver(t, func(hook, []hook) int {
		select {
		case <-healthy:
			return 200
		default:
			return 500
		}
	})
	tok := newApplication(t, s, "Disabled")
	id, _ := register(t, s, tok, rcv.URL)
	hooks := "/api/v1/chat_applications/" + tok + "/webhooks"
	chat := chatWith(t, s, tok)
	say(t, s, tok, chat, "lost")
	eventually(t, "the endpoint disabled", func() bool {
		return s.call(t, "GET", hooks, nil).want(t, 200).items(t)[0]["disabled_at"] != nil
	})
	log := s.call(t, "GET", hooks+"/"+id+"/deliveries", nil).want(t, 200).items(t)
	if len(log) != 2 || log[0]["type"] != "webhook.disabled" || log[0]["state"] != "failed" || log[0]["chat"] != 0.0 ||
		log[1]["type"] != "message.created" || log[1]["state"] != "failed" {
		t.Fatalf("delivery log %v", log)
	}
	say(t, s, tok, chat, "while disabled")
	eventually(t, "the new event waits in the log", func() bool {
		log = s.call(t, "GET", hooks+"/"+id+"/deliveries", nil).want(t, 200).items(t)
		return len(log) == 3
	})
	if log[0]["state"] != "pending" || log[0]["attempts"] != 0.0 {
		t.Fatalf("while disabled: %v", log[0])
	}
	sent := len(rcv.hooks())

	close(healthy)
	if r := s.call(t, "POST", hooks+"/"+id+"/replay", map[string]any{"after": "0-0"}).want(t, 202); r.num("replayed") != 2 {
		t.Fatalf("replayed %s, want the failed one and the waiting one", r.Raw)
	}
	eventually(t, "both delivered after the replay", func() bool { return len(rcv.hooks()) >= sent+2 })
	var texts []string
	for _, h := range rcv.hooks()[sent:] {
		texts = append(texts, h.Text)
	}
	if fmt.Sprint(texts) != "[lost while disabled]" {
		t.Fatalf("after the replay %v", texts)
	}
	if d := s.call(t, "GET", hooks, nil).want(t, 200).items(t)[0]["disabled_at"]; d != nil {
		t.Fatalf("still disabled at %v", d)
	}
}
