package bootstrap_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// feedCases: the pull feed has every event of the application in order,
// each with its position; a client resumes from any position and skips
// nothing; with wait it holds until an event comes.
func feedCases(t *testing.T, s *stack) {
	tok := newApplication(t, s, "Pulled")
	events := "/api/v1/chat_applications/" + tok + "/events"
	a, b := chatWith(t, s, tok), chatWith(t, s, tok)
	say(t, s, tok, a, "f1")
	say(t, s, tok, b, "f2")
	n := say(t, s, tok, a, "f3")
	var all []map[string]any
	eventually(t, "three events in the feed", func() bool {
		all = s.call(t, "GET", events, nil).want(t, 200).items(t)
		return len(all) == 3
	})
	var texts []string
	for i, e := range all {
		data := e["data"].(map[string]any)
		texts = append(texts, fmt.Sprint(data["body"]))
		if e["type"] != "message.created" || (i > 0 && !before(t, all[i-1]["position"], e["position"])) {
			t.Fatalf("feed %v", all)
		}
	}
	if strings.Join(texts, " ") != "f1 f2 f3" {
		t.Fatalf("feed order %v", texts)
	}
	first, last := all[0]["position"].(string), all[2]["position"].(string)

	if r := s.call(t, "GET", events+"?after="+first, nil).want(t, 200); len(r.items(t)) != 2 || r.str("next_after") != last || r.Body["has_more"] != false {
		t.Fatalf("after %s: %s", first, r.Raw)
	}
	if r := s.call(t, "GET", events+"?limit=1", nil).want(t, 200); len(r.items(t)) != 1 || r.str("next_after") != first || r.Body["has_more"] != true {
		t.Fatalf("a page of one: %s", r.Raw)
	}
	if r := s.call(t, "GET", events+"?after="+last+"&wait=100ms", nil).want(t, 200); len(r.items(t)) != 0 || r.str("next_after") != last {
		t.Fatalf("nothing new: %s", r.Raw)
	}

	// A long poll held while the edit is made answers with it.
	polled := make(chan response, 1)
	go func() { polled <- s.call(t, "GET", events+"?after="+last+"&wait=20s", nil) }()
	s.call(t, "PATCH", fmt.Sprintf("/api/v1/chat_applications/%s/chats/%d/messages/%d", tok, a, n), map[string]any{"body": "f3 edited"}).want(t, 200)
	r := (<-polled).want(t, 200)
	if got := r.items(t); len(got) != 1 || got[0]["type"] != "message.edited" || !before(t, last, got[0]["position"]) {
		t.Fatalf("the long poll answered %s", r.Raw)
	}

	for _, bad := range []string{"?after=soon", "?after=1", "?wait=forever", "?wait=2m", "?limit=0"} {
		s.call(t, "GET", events+bad, nil).wantError(t, 400, "bad_request")
	}
}

// before says whether position a ("ms-seq") comes before b.
func before(t *testing.T, a, b any) bool {
	t.Helper()
	parse := func(p any) (int64, int64) {
		ms, seq, ok := strings.Cut(fmt.Sprint(p), "-")
		x, err1 := strconv.ParseInt(ms, 10, 64)
		y, err2 := strconv.ParseInt(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("position %v", p)
		}
		return x, y
	}
	am, as := parse(a)
	bm, bs := parse(b)
	return am < bm || (am == bm && as < bs)
}
