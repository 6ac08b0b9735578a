package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"
)

// Receivers on loopback, and retries within milliseconds: the schedule's
// shape is the webhook adapter's test; these test what reaches a receiver.
var webhookEnv = map[string]string{
	"CHAT_WEBHOOK_ALLOW_PRIVATE": "true",
	"CHAT_WEBHOOK_FIRST_RETRY":   "20ms",
	"CHAT_WEBHOOK_POLL_INTERVAL": "20ms",
	"CHAT_WEBHOOK_TIMEOUT":       "300ms",
}

func TestWebhooksEmbedded(t *testing.T) { webhookSuite(t, embeddedStack(t, webhookEnv)) }

func TestWebhooksProduction(t *testing.T) { webhookSuite(t, productionStack(t, webhookEnv)) }

func webhookSuite(t *testing.T, s *stack) {
	t.Run("endpoints are registered, listed and removed", func(t *testing.T) { webhookEndpointCases(t, s) })
	t.Run("endpoints are the application's own: its secret when protected", func(t *testing.T) { webhookAccessCases(t, s) })
	t.Run("a failed attempt is retried with the same webhook-id, signed", func(t *testing.T) { webhookRetryCases(t, s) })
	t.Run("an endpoint gets only the types it asked for", func(t *testing.T) { webhookFilterCases(t, s) })
	t.Run("a chat's events arrive in order; other chats are not held up", func(t *testing.T) { webhookOrderCases(t, s) })
	t.Run("redirects, slow and absent receivers are failed attempts", func(t *testing.T) { webhookFailureCases(t, s) })
	t.Run("a replay sends again what came after a position, in order", func(t *testing.T) { webhookReplayCases(t, s) })
	t.Run("the pull feed: every event with its position, resumable, long polled", func(t *testing.T) { feedCases(t, s) })
}

// A private address is refused unless the operator allows it.
func TestWebhookPrivateURLRefused(t *testing.T) {
	s := embeddedStack(t, nil)
	tok := newApplication(t, s, "Guarded")
	for _, url := range []string{"http://127.0.0.1:8080/hooks", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/"} {
		s.call(t, "POST", "/api/v1/chat_applications/"+tok+"/webhooks", map[string]any{"url": url}).wantError(t, 422, "validation_failed")
	}
	if n := len(s.call(t, "GET", "/api/v1/chat_applications/"+tok+"/webhooks", nil).want(t, 200).items(t)); n != 0 {
		t.Fatalf("%d endpoints registered", n)
	}
}

// register adds an endpoint for url and returns its id and secret.
func register(t *testing.T, s *stack, tok, url string, events ...string) (string, string) {
	t.Helper()
	body := map[string]any{"url": url}
	if events != nil {
		body["events"] = events
	}
	r := s.call(t, "POST", "/api/v1/chat_applications/"+tok+"/webhooks", body).want(t, 201)
	return r.str("id"), r.str("secret")
}

// chatWith makes a chat and returns its number.
func chatWith(t *testing.T, s *stack, tok string) int64 {
	t.Helper()
	return s.call(t, "POST", "/api/v1/chat_applications/"+tok+"/chats", nil).want(t, 201).num("number")
}

func say(t *testing.T, s *stack, tok string, chat int64, text string) int64 {
	t.Helper()
	return s.call(t, "POST", fmt.Sprintf("/api/v1/chat_applications/%s/chats/%d/messages", tok, chat), map[string]any{"body": text}).want(t, 201).num("number")
}

func webhookEndpointCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Hooks")
	base := "/api/v1/chat_applications/" + tok + "/webhooks"
	r := s.call(t, "POST", base, map[string]any{"url": "http://127.0.0.1:9/hooks"}).want(t, 201)
	if got := sortedKeys(r.Body); got != "created_at,disabled_at,events,id,secret,url" {
		t.Fatalf("fields %s", got)
	}
	id, secret := r.str("id"), r.str("secret")
	if !strings.HasPrefix(secret, "whsec_") || fmt.Sprint(r.Body["events"]) != "[message.created message.edited message.deleted]" {
		t.Fatalf("created %s", r.Raw)
	}
	list := s.call(t, "GET", base, nil).want(t, 200)
	if items := list.items(t); len(items) != 1 || items[0]["id"] != id || strings.Contains(list.Raw, secret) || items[0]["secret"] != nil {
		t.Fatalf("listed %s", list.Raw)
	}
	s.call(t, "POST", base, map[string]any{"url": "http://127.0.0.1:9/", "events": []string{"message.created", "chat.exploded"}}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", base, map[string]any{"url": "ftp://127.0.0.1/"}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", base, map[string]any{"events": []string{"message.created"}}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", base, map[string]any{"url": 7}).wantError(t, 422, "validation_failed")
	s.call(t, "POST", base, "{").want(t, 400)
	s.call(t, "POST", "/api/v1/chat_applications/nosuchtokennosuchtoken00/webhooks", map[string]any{"url": "http://127.0.0.1:9/"}).want(t, 404)
	if n := len(s.call(t, "GET", base, nil).want(t, 200).items(t)); n != 1 {
		t.Fatalf("refused registrations left %d endpoints", n)
	}
	s.call(t, "GET", base+"/"+id+"/deliveries", nil).want(t, 200)
	s.call(t, "GET", base+"/"+id+"/deliveries?cursor=nope", nil).want(t, 400)
	s.call(t, "DELETE", base+"/"+id, nil).want(t, 204)
	s.call(t, "DELETE", base+"/"+id, nil).want(t, 404)
	s.call(t, "GET", base+"/"+id+"/deliveries", nil).want(t, 404)
	// Another application's endpoint is not found through this one.
	other := newApplication(t, s, "Other")
	oid, _ := register(t, s, other, "http://127.0.0.1:9/")
	s.call(t, "DELETE", base+"/"+oid, nil).want(t, 404)
	s.call(t, "GET", base+"/"+oid+"/deliveries", nil).want(t, 404)
}

func webhookAccessCases(t *testing.T, s *stack) {
	tok, creds := protectedApplication(t, s)
	base := "/api/v1/chat_applications/" + tok + "/webhooks"
	for _, name := range refused {
		h := bearerHeader(creds[name])
		s.call(t, "POST", base, map[string]any{"url": "http://127.0.0.1:9/hooks"}, h...).wantError(t, 401, "unauthorized")
		s.call(t, "GET", base, nil, h...).wantError(t, 401, "unauthorized")
		s.call(t, "GET", "/api/v1/chat_applications/"+tok+"/events", nil, h...).wantError(t, 401, "unauthorized")
	}
	s.call(t, "GET", "/api/v1/chat_applications/"+tok+"/events", nil, bearerHeader(creds[credCurrent])...).want(t, 200)
	secret := bearerHeader(creds[credCurrent])
	id := s.call(t, "POST", base, map[string]any{"url": "http://127.0.0.1:9/hooks"}, secret...).want(t, 201).str("id")
	for _, name := range refused {
		h := bearerHeader(creds[name])
		s.call(t, "GET", base+"/"+id+"/deliveries", nil, h...).wantError(t, 401, "unauthorized")
		s.call(t, "DELETE", base+"/"+id, nil, h...).wantError(t, 401, "unauthorized")
	}
	if n := len(s.call(t, "GET", base, nil, secret...).want(t, 200).items(t)); n != 1 {
		t.Fatalf("%d endpoints after the refusals, want 1", n)
	}
	s.call(t, "GET", base+"/"+id+"/deliveries", nil, secret...).want(t, 200)
	s.call(t, "DELETE", base+"/"+id, nil, secret...).want(t, 204)
}

func webhookRetryCases(t *testing.T, s *stack) {
	// The first attempt of each event fails.
	rcv := newReceiver(t, func(h hook, seen []hook) int {
		if attemptsOf(seen, h.ID) == 0 {
			return 500
		}
		return 204
	})
	tok := newApplication(t, s, "Retried")
	id, secret := register(t, s, tok, rcv.URL)
	chat := chatWith(t, s, tok)
	n := say(t, s, tok, chat, "hello hooks")
	eventually(t, "the message delivered on its second attempt", func() bool { return len(rcv.hooks()) >= 2 })
	got := rcv.hooks()
	first, second := got[0], got[1]
	if first.ID != second.ID || !strings.HasPrefix(first.ID, "evt_") || first.Type != "message.created" ||
		first.Chat != chat || first.Number != n || first.Text != "hello hooks" || string(first.Body) != string(second.Body) {
		t.Fatalf("attempts %+v / %+v", first, second)
	}
	for _, h := range got[:2] {
		if !verified(secret, h) {
			t.Fatalf("signature of %s does not verify", h.Body)
		}
		if verified("whsec_"+strings.Repeat("A", 44), h) {
			t.Fatal("verifies with another secret")
		}
	}
	var log response
	eventually(t, "the delivery log says delivered", func() bool {
		log = s.call(t, "GET", "/api/v1/chat_applications/"+tok+"/webhooks/"+id+"/deliveries", nil).want(t, 200)
		items := log.items(t)
		return len(items) == 1 && items[0]["state"] == "delivered"
	})
	d := log.items(t)[0]
	if d["event_id"] != first.ID || d["attempts"] != 2.0 || d["last_status"] != 204.0 || d["type"] != "message.created" || d["next_attempt"] != nil {
		t.Fatalf("delivery log %s", log.Raw)
	}
}

func webhookFilterCases(t *testing.T, s *stack) {
	all := newReceiver(t, always(200))
	deletes := newReceiver(t, always(200))
	tok := newApplication(t, s, "Filtered")
	register(t, s, tok, all.URL)
	register(t, s, tok, deletes.URL, "message.deleted")
	chat := chatWith(t, s, tok)
	n := say(t, s, tok, chat, "short-lived")
	path := fmt.Sprintf("/api/v1/chat_applications/%s/chats/%d/messages/%d", tok, chat, n)
	eventually(t, "the message persisted", func() bool { return s.call(t, "GET", path, nil).Status == 200 })
	s.call(t, "PATCH", path, map[string]any{"body": "edited"}).want(t, 200)
	s.call(t, "DELETE", path, nil).want(t, 204)
	eventually(t, "three events to the first endpoint", func() bool { return len(all.hooks()) == 3 })
	eventually(t, "the deletion to the second", func() bool { return len(deletes.hooks()) == 1 })
	var types []string
	for _, h := range all.hooks() {
		types = append(types, h.Type)
	}
	if strings.Join(types, " ") != "message.created message.edited message.deleted" || deletes.hooks()[0].Type != "message.deleted" {
		t.Fatalf("first endpoint got %v, second %v", types, deletes.hooks())
	}
}

func webhookOrderCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Ordered")
	a, b := chatWith(t, s, tok), chatWith(t, s, tok)
	// Chat a's receiver fails until both of b's events were delivered:
	// b's cannot be waiting behind a's.
	rcv := newReceiver(t, func(h hook, seen []hook) int {
		if h.Chat == a {
			delivered := 0
			for _, s := range seen {
				if s.Chat == b {
					delivered++
				}
			}
			if delivered < 2 {
				return 503
			}
		}
		return 200
	})
	register(t, s, tok, rcv.URL)
	say(t, s, tok, a, "a1")
	say(t, s, tok, a, "a2")
	say(t, s, tok, a, "a3")
	say(t, s, tok, b, "b1")
	say(t, s, tok, b, "b2")
	eventually(t, "every event delivered", func() bool {
		got := rcv.hooks()
		last := map[int64]string{}
		for _, h := range got {
			last[h.Chat] = h.Text
		}
		return last[a] == "a3" && last[b] == "b2"
	})
	// Each chat's requests, retries included, come in its order: no
	// request of a later event before the earlier one was delivered.
	for _, chat := range []int64{a, b} {
		var texts []string
		for _, h := range rcv.hooks() {
			if h.Chat == chat && (len(texts) == 0 || texts[len(texts)-1] != h.Text) {
				texts = append(texts, h.Text)
			}
		}
		want := map[int64]string{a: "a1 a2 a3", b: "b1 b2"}[chat]
		if strings.Join(texts, " ") != want {
			t.Fatalf("chat %d got %v, want %s", chat, texts, want)
		}
	}
	if attemptsOf(rcv.hooks(), rcv.hooks()[0].ID) < 1 {
		t.Fatal("no attempt recorded")
	}
}

func webhookFailureCases(t *testing.T, s *stack) {
	// Each receiver fails the first attempt its own way, then answers 200.
	for _, c := range []struct {
		name  string
		first int // 0 hangs past the timeout; -1: nothing listens
	}{{"redirect", 302}, {"slow", 0}, {"down", -1}} {
		t.Run(c.name, func(t *testing.T) {
			rcv := newReceiver(t, func(h hook, seen []hook) int {
				if attemptsOf(seen, h.ID) == 0 && c.first >= 0 {
					return c.first
				}
				return 200
			})
			if c.first < 0 {
				rcv.down()
			}
			tok := newApplication(t, s, "Failing "+c.name)
			id, _ := register(t, s, tok, rcv.URL)
			say(t, s, tok, chatWith(t, s, tok), "to "+c.name)
			deliveries := "/api/v1/chat_applications/" + tok + "/webhooks/" + id + "/deliveries"
			last := func() map[string]any {
				items := s.call(t, "GET", deliveries, nil).want(t, 200).items(t)
				if len(items) != 1 {
					return map[string]any{}
				}
				return items[0]
			}
			if c.first < 0 {
				var d map[string]any
				eventually(t, "a refused attempt in the log", func() bool { d = last(); return d["attempts"] != nil && d["attempts"].(float64) >= 1 })
				if d["state"] != "pending" || d["last_error"] == nil || d["next_attempt"] == nil {
					t.Fatalf("after a refused attempt: %v", d)
				}
				rcv.up(t)
			}
			eventually(t, "delivered after all", func() bool { return last()["state"] == "delivered" })
			got := rcv.hooks()
			if c.first >= 0 && (len(got) != 2 || got[0].ID != got[1].ID || last()["attempts"] != 2.0) {
				t.Fatalf("requests %+v, log %v: two attempts of one webhook-id", got, last())
			}
			for _, h := range got {
				if h.Path != "/hooks" {
					t.Fatalf("a request to %s: the redirect was followed", h.Path)
				}
			}
		})
	}
}
