package bootstrap_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The HTTP suite (apiSuite) on chats and messages: numbering, paging, edits, the cache, deletes.
func chatsAndMessagesCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Chatty")
	app := "/api/v1/chat_applications/" + tok
	for want := int64(1); want <= 3; want++ {
		r := s.call(t, "POST", app+"/chats", nil).want(t, 201)
		if r.num("number") != want || r.num("messages_count") != 0 {
			t.Fatalf("chat %s, want number %d", r.Raw, want)
		}
	}
	r := s.call(t, "POST", app+"/chats", map[string]any{"chat": map[string]any{}}).want(t, 201)
	if r.num("number") != 4 {
		t.Fatalf("chat with a body %s", r.Raw)
	}
	msgs := app + "/chats/2/messages"
	for i := 1; i <= 5; i++ {
		r := s.call(t, "POST", msgs, map[string]any{"body": fmt.Sprintf("message %d", i)}).want(t, 201)
		if r.num("number") != int64(i) || r.str("body") != fmt.Sprintf("message %d", i) {
			t.Fatalf("message %s", r.Raw)
		}
	}
	r = s.call(t, "POST", msgs, map[string]any{"message": map[string]any{"body": "rails message"}}).want(t, 201)
	if r.num("number") != 6 {
		t.Fatalf("Rails-style message %s", r.Raw)
	}
	// Edited right after it was created: the edit wins.
	s.call(t, "POST", msgs, map[string]any{"body": "draft"}).want(t, 201)
	e := s.call(t, "PATCH", msgs+"/7", map[string]any{"body": "final"}).want(t, 200)
	if e.str("body") != "final" || e.num("number") != 7 {
		t.Fatalf("edit answer %s", e.Raw)
	}
	s.call(t, "PUT", msgs+"/7", map[string]any{"message": map[string]any{"body": "really final"}}).want(t, 200)

	eventually(t, "7 messages persisted", func() bool {
		r := s.call(t, "GET", msgs+"?limit=200", nil)
		return r.Status == 200 && len(r.items(t)) == 7
	})
	eventually(t, "the last edit applied", func() bool {
		return s.call(t, "GET", msgs+"/7", nil).str("body") == "really final"
	})
	m := s.call(t, "GET", msgs+"/1", nil).want(t, 200)
	if got := sortedKeys(m.Body); got != "author,body,created_at,number,type,updated_at" {
		t.Fatalf("message fields %s", got)
	}
	// Conditional reads: 304 while unchanged, the new body once edited.
	for _, path := range []string{msgs + "/7", msgs + "?limit=3", app + "/chats/2"} {
		r := s.call(t, "GET", path, nil).want(t, 200)
		tag := r.Header.Get("ETag")
		if tag == "" {
			t.Fatalf("GET %s without an ETag", path)
		}
		if nm := s.call(t, "GET", path, nil, "If-None-Match", tag); nm.Status != 304 || nm.Raw != "" {
			t.Fatalf("GET %s with its ETag: %d %q, want 304 and no body", path, nm.Status, nm.Raw)
		}
	}
	tag := s.call(t, "GET", msgs+"/7", nil).Header.Get("ETag")
	s.call(t, "PATCH", msgs+"/7", map[string]any{"body": "edited once more"}).want(t, 200)
	eventually(t, "the edit applied", func() bool {
		r := s.call(t, "GET", msgs+"/7", nil, "If-None-Match", tag)
		return r.Status == 200 && r.str("body") == "edited once more" && r.Header.Get("ETag") != tag
	})

	// Pagination walks every message once, in order, with opaque cursors.
	var seen []int64
	cursor := ""
	for pages := 0; ; pages++ {
		q := "?limit=3"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p := s.call(t, "GET", msgs+q, nil).want(t, 200)
		for _, it := range p.items(t) {
			seen = append(seen, int64(it["number"].(float64)))
		}
		if p.Body["has_more"] != true {
			if p.Body["next_cursor"] != nil {
				t.Fatalf("last page with a cursor: %s", p.Raw)
			}
			break
		}
		cursor = p.str("next_cursor")
		if cursor == "" || strings.Contains(cursor, "id") {
			t.Fatalf("cursor %q", cursor)
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if fmt.Sprint(seen) != "[1 2 3 4 5 6 7]" {
		t.Fatalf("paged through %v", seen)
	}
	// Paging both ways, by number, as chat screens load history.
	numbersOf := func(r response) string {
		var out []string
		for _, it := range r.items(t) {
			out = append(out, fmt.Sprint(it["number"]))
		}
		return strings.Join(out, ",")
	}
	page := func(q string) response { return s.call(t, "GET", msgs+q, nil).want(t, 200) }
	walk := func(q string) []string {
		var got []string
		r := page(q)
		for {
			got = append(got, numbersOf(r))
			if r.Body["next_cursor"] == nil {
				return got
			}
			// The cursor carries the direction and the order.
			r = page("?limit=3&cursor=" + url.QueryEscape(r.str("next_cursor")))
		}
	}
	for q, want := range map[string]string{
		"?order=desc&limit=3":          "[7,6,5 4,3,2 1]",
		"?limit=3&before=7":            "[4,5,6 1,2,3]",
		"?limit=3&before=7&order=desc": "[6,5,4 3,2,1]",
		"?limit=3&after=2":             "[3,4,5 6,7]",
		"?limit=3&around=4":            "[3,4,5]",
		"?limit=3&around=4&order=desc": "[5,4,3]",
		"?limit=4&around=1":            "[1,2,3,4]",
		"?limit=3&around=7":            "[6,7]",
	} {
		if got := fmt.Sprint(walk(q)); got != want {
			t.Errorf("GET messages%s walked %s, want %s", q, got, want)
		}
	}
	if got := numbersOf(s.call(t, "GET", app+"/chats?order=desc&limit=2", nil).want(t, 200)); got != "4,3" {
		t.Errorf("chats newest first: %s", got)
	}
	// Positions exclude one another (API.md: combinations that make no sense are a 400).
	first := url.QueryEscape(page("?limit=1").str("next_cursor"))
	for _, q := range []string{"?order=sideways", "?around=0", "?before=x", "?after=-1", "?cursor=0", "?cursor=7x",
		"?limit=3&around=4&after=6", "?limit=3&after=2&before=4", "?limit=3&before=4&around=2", "?limit=2&after=5&cursor=" + first} {
		s.call(t, "GET", msgs+q, nil).wantError(t, 400, "bad_request")
	}

	eventually(t, "counters converge", func() bool {
		a := s.call(t, "GET", "/api/v1/chat_applications/"+tok, nil)
		c := s.call(t, "GET", app+"/chats/2", nil)
		return a.num("chats_count") == 4 && c.num("messages_count") == 7
	})
	chats := s.call(t, "GET", app+"/chats", nil).want(t, 200)
	if got := sortedKeys(chats.items(t)[0]); got != "created_at,messages_count,number,updated_at" {
		t.Fatalf("chat fields %s", got)
	}
	if len(chats.items(t)) != 4 || chats.Body["has_more"] != false {
		t.Fatalf("chats page %s", chats.Raw)
	}
}

func cachedReadsCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Cached")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	msgs := app + "/chats/1/messages"
	for _, b := range []string{"one", "two", "three é ✓"} {
		s.call(t, "POST", msgs, map[string]any{"body": b}).want(t, 201)
	}
	eventually(t, "3 messages persisted", func() bool {
		r := s.call(t, "GET", msgs, nil)
		return r.Status == 200 && len(r.items(t)) == 3
	})
	// A message persisted before its chat's own event makes the chat's row
	// with the message's time; the chat's event, persisted later, sets the
	// time the chat was made (before its first message). Wait for it, or
	// the cache rightly follows that change between two reads below.
	eventually(t, "the chat's own event persisted", func() bool {
		chat, err := time.Parse(time.RFC3339Nano, s.call(t, "GET", app+"/chats/1", nil).str("created_at"))
		first, err2 := time.Parse(time.RFC3339Nano, s.call(t, "GET", msgs+"/1", nil).str("created_at"))
		return err == nil && err2 == nil && chat.Before(first)
	})
	paths := []string{msgs + "/3", msgs + "?limit=2", msgs + "?order=desc", msgs + "?around=2&limit=2", app + "/chats/1"}
	for _, path := range paths {
		first := s.call(t, "GET", path, nil).want(t, 200)
		for range 2 { // from the cache
			if again := s.call(t, "GET", path, nil).want(t, 200); again.Raw != first.Raw || again.Header.Get("ETag") != first.Header.Get("ETag") {
				t.Fatalf("GET %s answered %s, then %s", path, first.Raw, again.Raw)
			}
		}
	}
	s.call(t, "POST", msgs, map[string]any{"body": "four"}).want(t, 201)
	s.call(t, "PATCH", msgs+"/3", map[string]any{"body": "three, edited"}).want(t, 200)
	eventually(t, "the new message, the edit and the count read everywhere", func() bool {
		var bodies []string
		for _, it := range s.call(t, "GET", msgs+"?order=desc", nil).want(t, 200).items(t) {
			bodies = append(bodies, it["body"].(string))
		}
		return strings.Join(bodies, ",") == "four,three, edited,two,one" &&
			s.call(t, "GET", msgs+"/3", nil).str("body") == "three, edited" &&
			s.call(t, "GET", app+"/chats/1", nil).num("messages_count") == 4
	})
}

func deletingCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Deleter")
	app := "/api/v1/chat_applications/" + tok
	s.call(t, "POST", app+"/chats", nil).want(t, 201)
	msgs := app + "/chats/1/messages"
	for _, b := range []string{"keep apple", "drop apple", "keep pear", "drop pear"} {
		s.call(t, "POST", msgs, map[string]any{"body": b}).want(t, 201)
	}
	eventually(t, "4 messages searchable", func() bool {
		r := s.call(t, "GET", msgs+"/search?q=apple", nil)
		return r.Status == 200 && len(r.items(t)) == 2
	})
	s.call(t, "PATCH", msgs+"/2", map[string]any{"body": "drop apple, edited"}).want(t, 200)
	if r := s.call(t, "DELETE", msgs+"/2", nil).want(t, 204); r.Raw != "" {
		t.Fatalf("204 with a body %q", r.Raw)
	}
	s.call(t, "DELETE", msgs+"/4", nil).want(t, 204)
	s.call(t, "DELETE", msgs+"/4", nil).want(t, 204) // again: nothing more happens
	// An edit racing the delete is answered 200 or 404 and changes nothing.
	if st := s.call(t, "PATCH", msgs+"/4", map[string]any{"body": "back?"}).Status; st != 200 && st != 404 {
		t.Fatalf("an edit racing a delete answered %d", st)
	}
	s.call(t, "DELETE", msgs+"/9", nil).wantError(t, 404, "not_found")
	s.call(t, "DELETE", msgs+"/x", nil).wantError(t, 400, "bad_request")
	eventually(t, "the deletes applied", func() bool {
		r := s.call(t, "GET", msgs, nil)
		return r.Status == 200 && fmt.Sprint(len(r.items(t))) == "2" && s.call(t, "GET", msgs+"/2", nil).Status == 404 &&
			s.call(t, "GET", msgs+"/4", nil).Status == 404
	})
	eventually(t, "they left search", func() bool {
		r := s.call(t, "GET", msgs+"/search?q=drop", nil)
		return r.Status == 200 && len(r.items(t)) == 0
	})
	eventually(t, "and the counter", func() bool { return s.call(t, "GET", app+"/chats/1", nil).num("messages_count") == 2 })
	// Once the delete is applied, the message is gone for edits too.
	s.call(t, "PATCH", msgs+"/4", map[string]any{"body": "back?"}).wantError(t, 404, "not_found")
	s.call(t, "PUT", msgs+"/2", map[string]any{"body": "back?"}).wantError(t, 404, "not_found")
	if n := s.call(t, "POST", msgs, map[string]any{"body": "next"}).want(t, 201).num("number"); n != 5 {
		t.Fatalf("the number after deletes is %d, want 5: numbers are never reused", n)
	}
	// Paging both ways steps over the holes the deletes left.
	eventually(t, "message 5 persisted", func() bool { return s.call(t, "GET", msgs+"/5", nil).Status == 200 })
	pageOf := func(q string) (string, string) {
		r := s.call(t, "GET", msgs+q, nil).want(t, 200)
		var out []string
		for _, it := range r.items(t) {
			out = append(out, fmt.Sprint(it["number"]))
		}
		next := ""
		if r.Body["next_cursor"] != nil {
			next = r.str("next_cursor")
		}
		return strings.Join(out, ","), next
	}
	if got, next := pageOf("?order=desc&limit=2"); got != "5,3" || next == "" {
		t.Fatalf("newest first over holes: %s (cursor %q)", got, next)
	} else if got, next := pageOf("?limit=2&cursor=" + url.QueryEscape(next)); got != "1" || next != "" {
		t.Fatalf("the page after: %s (cursor %q)", got, next)
	}
	if got, _ := pageOf("?around=3&limit=3"); got != "1,3,5" {
		t.Fatalf("around a hole's neighbour: %s", got)
	}
	if got, _ := pageOf("?before=5&limit=1"); got != "3" {
		t.Fatalf("before 5: %s", got)
	}
}
