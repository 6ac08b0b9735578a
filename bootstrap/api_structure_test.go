package bootstrap_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cardAttrs are attributes as a client might send them: member order, a
// number's spelling and escapes that any re-encoding would change.
const cardAttrs = `{"z":1.50,"a":[true,null,{"deep":"\u00e9<&>"}],"m":"x\"y"}`

// typeAndAttrs is a message's type and its attributes, re-encoded ("-" for none).
func typeAndAttrs(m map[string]any) string {
	a := "-"
	if v, ok := m["attributes"]; ok {
		raw, _ := json.Marshal(v)
		a = string(raw)
	}
	return fmt.Sprintf("%v %s", m["type"], a)
}

// sameJSON says whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

// A message's type and attributes go everywhere a message is shown, the
// attributes as sent (byte for byte in every answer); edits keep the type
// and keep, replace or clear the attributes; bad values are refused, take
// no number and change nothing.
func structureCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Structure")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	eventually(t, "the chat persisted", func() bool { return s.call(t, "GET", app+"/chats/1", nil).Status == 200 })
	msgs := app + "/chats/1/messages"
	st := follow(t, s, app+"/chats/1/events")

	card := s.call(t, "POST", msgs, `{"body":"pear card","type":"card.v1","attributes":`+cardAttrs+`}`).want(t, 201)
	if !strings.Contains(card.Raw, `"type":"card.v1","attributes":`+cardAttrs+`,`) {
		t.Fatalf("the create's answer does not carry the attributes as sent: %s", card.Raw)
	}
	if r := s.call(t, "POST", msgs, map[string]any{"body": "pear plain"}).want(t, 201); typeAndAttrs(r.Body) != "text -" {
		t.Fatalf("a plain message: %s", r.Raw)
	}
	wrapped := map[string]any{"message": map[string]any{"body": "pear system", "type": "system", "attributes": map[string]any{}}}
	if r := s.call(t, "POST", msgs, wrapped).want(t, 201); typeAndAttrs(r.Body) != "system {}" {
		t.Fatalf("a wrapped system message: %s", r.Raw)
	}
	if r := s.call(t, "POST", msgs, map[string]any{"body": "pear nulls", "type": nil, "attributes": nil}).want(t, 201); typeAndAttrs(r.Body) != "text -" {
		t.Fatalf("null type and attributes: %s", r.Raw)
	}

	deep := strings.Repeat(`{"a":`, 17) + "1" + strings.Repeat("}", 17)
	big := `{"k":"` + strings.Repeat("x", 4090) + `"}`
	for _, bad := range []string{
		`{"body":"x","type":"Card"}`, `{"body":"x","type":""}`, `{"body":"x","type":"` + strings.Repeat("a", 33) + `"}`,
		`{"body":"x","type":"1x"}`, `{"body":"x","type":"a b"}`, `{"body":"x","type":"é"}`,
		`{"body":"x","attributes":"{}"}`, `{"body":"x","attributes":[1]}`, `{"body":"x","attributes":5}`,
		`{"body":"x","attributes":true}`, `{"body":"x","attributes":` + big + `}`, `{"body":"x","attributes":` + deep + `}`,
		`{"body":"x","attributes":{"k":"\ud800"}}`, `{"body":"x","attributes":{"\udc00":1}}`,
	} {
		s.call(t, "POST", msgs, bad).wantError(t, 422, "validation_failed")
	}
	s.call(t, "POST", msgs, `{"body":"x","type":5}`).wantError(t, 400, "bad_request")
	s.call(t, "POST", msgs, `{"body":"x","type":"a","message":{"body":"y"}}`).wantError(t, 400, "bad_request")
	s.call(t, "POST", msgs, "body=x&attributes=%7B%7D", "Content-Type", "application/x-www-form-urlencoded").wantError(t, 422, "validation_failed")
	// Exactly 4096 bytes is allowed; the refusals took no number: this is 5.
	limit := `{"k":"` + strings.Repeat("x", 4096-8) + `"}`
	if r := s.call(t, "POST", msgs, `{"body":"pear at the limit","attributes":`+limit+`}`).want(t, 201); r.num("number") != 5 {
		t.Fatalf("the next message is %s, want 5", r.Raw)
	}

	want := []string{"card.v1 " + cardAttrs, "text -", "system {}", "text -", "text " + limit}
	matches := func(m map[string]any, w string) bool {
		g, ws := strings.SplitN(typeAndAttrs(m), " ", 2), strings.SplitN(w, " ", 2)
		return g[0] == ws[0] && (ws[1] == "-") == (g[1] == "-") && (ws[1] == "-" || sameJSON(g[1], ws[1]))
	}
	seen := func(items []map[string]any) bool {
		if len(items) != len(want) {
			return false
		}
		for i, m := range items {
			if !matches(m, want[i]) {
				return false
			}
		}
		return true
	}
	for i := range want {
		if e, ok := st.next(10 * time.Second); !ok || e.Kind != "message.created" || !matches(e.Data, want[i]) {
			t.Fatalf("live %d: %v", i+1, e)
		}
	}
	eventually(t, "five messages persisted with their structure", func() bool { return seen(s.call(t, "GET", msgs, nil).want(t, 200).items(t)) })
	if r := s.call(t, "GET", msgs, nil).want(t, 200); !strings.Contains(r.Raw, `"attributes":`+cardAttrs+`,`) {
		t.Fatalf("the page changed the attributes' bytes: %s", r.Raw)
	}
	if r := s.call(t, "GET", msgs+"/1", nil).want(t, 200); !strings.Contains(r.Raw, `"type":"card.v1","attributes":`+cardAttrs+`,`) {
		t.Fatalf("one message changed the attributes' bytes: %s", r.Raw)
	}
	if r := s.call(t, "GET", msgs+"?after=0&wait=5s", nil).want(t, 200); !seen(r.items(t)) {
		t.Fatalf("the long poll: %s", r.Raw)
	}
	// Never searched: a word of the attributes finds nothing; a hit carries them.
	eventually(t, "search hits carry type and attributes", func() bool {
		hits := s.call(t, "GET", msgs+"/search?q=pear", nil).want(t, 200)
		return len(hits.items(t)) == 5 && strings.Contains(hits.Raw, `"type":"card.v1","attributes":`+cardAttrs+`,`)
	})
	if r := s.call(t, "GET", msgs+"/search?q=deep", nil).want(t, 200); len(r.items(t)) != 0 {
		t.Fatalf("the attributes were searched: %s", r.Raw)
	}

	// Edits: the type is kept (naming another is refused), the attributes
	// kept when absent, replaced when given, cleared by null.
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "x", "type": "poll"}).wantError(t, 422, "validation_failed")
	s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "x", "attributes": []int{1}}).wantError(t, 422, "validation_failed")
	if r := s.call(t, "PATCH", msgs+"/1", map[string]any{"body": "pear card kept", "type": "card.v1"}).want(t, 200); !strings.Contains(r.Raw, `"attributes":`+cardAttrs+`,`) {
		t.Fatalf("an edit without attributes: %s", r.Raw)
	}
	s.call(t, "PATCH", msgs+"/2", `{"body":"pear plain now a card","attributes":{"b":2, "a":1}}`).want(t, 200)
	s.call(t, "PUT", msgs+"/3", map[string]any{"body": "pear system cleared", "attributes": nil}).want(t, 200)
	for i, w := range []string{"message.edited 1 card.v1", "message.edited 2 text", "message.edited 3 system"} {
		if e, ok := st.next(10 * time.Second); !ok || fmt.Sprintf("%s %v %v", e.Kind, e.Data["number"], e.Data["type"]) != w {
			t.Fatalf("live edit %d: %v", i+1, e)
		}
	}
	eventually(t, "the edits persisted", func() bool {
		r := s.call(t, "GET", msgs+"?limit=3", nil).want(t, 200)
		return strings.Contains(r.Raw, `"body":"pear card kept","author":null,"type":"card.v1","attributes":`+cardAttrs+`,`) &&
			strings.Contains(r.Raw, `"type":"text","attributes":{"b":2,"a":1},`) &&
			strings.Contains(r.Raw, `"body":"pear system cleared","author":null,"type":"system","created_at"`)
	})
	eventually(t, "the feed carries type and attributes", func() bool {
		for _, e := range s.call(t, "GET", app+"/events", nil).want(t, 200).items(t) {
			if data := e["data"].(map[string]any); e["type"] == "message.created" && data["number"] == 1.0 {
				return matches(data, "card.v1 "+cardAttrs)
			}
		}
		return false
	})
}

// A user may not pass for the application: a system message needs its
// secret; a user's own type is fine.
func userStructureCases(t *testing.T, s *stack) {
	tok, secret, tokens := membersApplication(t, s)
	msgs := "/api/v1/chat_applications/" + tok + "/chats/1/messages"
	member := bearerHeader(tokens[userMember])
	n := s.call(t, "POST", msgs, map[string]any{"body": "before", "type": "note"}, member...).want(t, 201).num("number")
	s.call(t, "POST", msgs, map[string]any{"body": "as the system", "type": "system"}, member...).wantError(t, 403, "forbidden")
	if r := s.call(t, "POST", msgs, map[string]any{"body": "a poll", "type": "poll", "attributes": map[string]any{"q": "?"}}, member...).want(t, 201); r.num("number") != n+1 {
		t.Fatalf("the user's poll: %s (a refusal took a number?)", r.Raw)
	}
	if r := s.call(t, "POST", msgs, map[string]any{"body": "notice", "type": "system"}, bearerHeader(secret)...).want(t, 201); r.str("type") != "system" {
		t.Fatalf("the application's system message: %s", r.Raw)
	}
}
