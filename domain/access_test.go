package domain_test

import (
	"errors"
	"testing"

	"github.com/chatsvc/chat/domain"
)

// The rights table of API.md ("Authors and rights"), as a matrix: every
// kind of caller against every action in a private and a public chat.
func TestRightsMatrix(t *testing.T) {
	const app = domain.Token("AbCdEfGhIjKlMnOpQrStUvWx")
	user := func(scope domain.Scope, chats []int64) domain.Caller {
		return domain.Caller{App: app, User: "u", Scope: scope, Chats: chats}
	}
	callers := map[string]domain.Caller{
		"app":           domain.AppCaller(app),
		"member":        user(domain.ScopeWrite, nil),
		"moderator":     user(domain.ScopeWrite, nil),
		"read member":   user(domain.ScopeRead, nil),
		"non-member":    user(domain.ScopeWrite, nil),
		"other chats":   user(domain.ScopeWrite, []int64{9}),
		"limited to it": user(domain.ScopeWrite, []int64{1}),
	}
	roles := map[string]domain.Role{
		"member": domain.RoleMember, "moderator": domain.RoleModerator, "read member": domain.RoleMember,
		"other chats": domain.RoleMember, "limited to it": domain.RoleMember,
	}
	const ok, forbidden, hidden = "ok", "403", "404"
	// want[caller][action] in a private chat; a public chat differs only for the non-member.
	actions := []domain.Action{domain.ActRead, domain.ActPost, domain.ActChangeOwn, domain.ActModerate, domain.ActLeave, domain.ActType}
	want := map[string][]string{
		"app":           {ok, ok, ok, ok, ok, ok},
		"member":        {ok, ok, ok, forbidden, ok, ok},
		"moderator":     {ok, ok, ok, ok, ok, ok},
		"read member":   {ok, forbidden, forbidden, forbidden, forbidden, forbidden},
		"non-member":    {hidden, hidden, hidden, hidden, hidden, hidden},
		"other chats":   {hidden, hidden, hidden, hidden, hidden, hidden},
		"limited to it": {ok, ok, ok, forbidden, ok, ok},
	}
	publicNonMember := []string{ok, ok, ok, forbidden, hidden, hidden}
	for _, vis := range []domain.Visibility{domain.VisibilityPrivate, domain.VisibilityPublic} {
		for name, c := range callers {
			for i, a := range actions {
				got := outcome(c.MayChat(a, domain.ChatRights{Number: 1, Visibility: vis, Role: roles[name]}))
				exp := want[name][i]
				if vis == domain.VisibilityPublic && name == "non-member" {
					exp = publicNonMember[i]
				}
				if got != exp {
					t.Errorf("%s chat, %s, action %d: %s, want %s", vis, name, a, got, exp)
				}
			}
		}
	}

	// Application-wide actions.
	appWide := map[string][2]string{ // create a chat, manage the application
		"app":           {ok, ok},
		"member":        {ok, forbidden},
		"read member":   {forbidden, forbidden},
		"limited to it": {forbidden, forbidden},
	}
	for name, w := range appWide {
		c := callers[name]
		if got := outcome(c.MayApp(domain.ActCreateChat)); got != w[0] {
			t.Errorf("%s creates a chat: %s, want %s", name, got, w[0])
		}
		if got := outcome(c.MayApp(domain.ActManageApp)); got != w[1] {
			t.Errorf("%s manages the application: %s, want %s", name, got, w[1])
		}
	}

	// Someone else's message needs a moderator; one's own does not.
	member := domain.ChatRights{Number: 1, Visibility: domain.VisibilityPrivate, Role: domain.RoleMember}
	moderator := domain.ChatRights{Number: 1, Visibility: domain.VisibilityPrivate, Role: domain.RoleModerator}
	u := callers["member"]
	for _, tc := range []struct {
		chat   domain.ChatRights
		author domain.UserID
		want   string
	}{{member, "u", ok}, {member, "v", forbidden}, {member, "", forbidden}, {moderator, "v", ok}, {moderator, "", ok}} {
		if got := outcome(u.MayChangeMessage(tc.chat, tc.author)); got != tc.want {
			t.Errorf("role %s, author %q: %s, want %s", tc.chat.Role, tc.author, got, tc.want)
		}
	}
	if outcome(callers["read member"].MayChangeMessage(member, "u")) != forbidden {
		t.Error("a read token changed its own message")
	}
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, domain.ErrForbidden):
		return "403"
	case errors.Is(err, domain.ErrNotFound):
		return "404"
	}
	return err.Error()
}

func TestUserIDs(t *testing.T) {
	for _, ok := range []string{"a", "user@example.com", "名前", "x y"} {
		if _, err := domain.ParseUserID("sub", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	for _, bad := range []string{"", "a\tb", "\x00", string(long), "\xff"} {
		if _, err := domain.ParseUserID("sub", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSecrets(t *testing.T) {
	s, h := domain.NewSecret()
	s2, _ := domain.NewSecret()
	if len(s) <= 64 || !domain.LooksLikeSecret(s) || s == s2 {
		t.Fatalf("secret %d characters", len(s))
	}
	if !h.Matches(s) || h.Matches(s2) || h.Matches(s[:len(s)-1]) || h.IsZero() {
		t.Fatal("a secret's hash matches only that secret")
	}
	if h != domain.HashSecret(s) {
		t.Fatal("the hash is not the secret's SHA-256")
	}
}

func TestClosedSets(t *testing.T) {
	if a, err := domain.ParseAccess("protected"); err != nil || a != domain.AccessProtected {
		t.Fatal(a, err)
	}
	if r, err := domain.ParseRole("moderator"); err != nil || r != domain.RoleModerator {
		t.Fatal(r, err)
	}
	if v, err := domain.ParseVisibility("public"); err != nil || v != domain.VisibilityPublic {
		t.Fatal(v, err)
	}
	_, err := domain.ParseRole("owner")
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Field != "role" || ve.Reason != `must be "member" or "moderator"` {
		t.Fatalf("%v", err)
	}
	for _, bad := range []string{"", "Open", "public "} {
		if _, err := domain.ParseAccess(bad); err == nil {
			t.Errorf("access %q accepted", bad)
		}
	}
}

// Who a new message's author is: a user always themselves, the
// application whoever it names, or no one; a malformed name is invalid.
func TestAuthorOf(t *testing.T) {
	app, user := domain.AppCaller("AbCdEfGhIjKlMnOpQrStUvWx"), domain.Caller{App: "AbCdEfGhIjKlMnOpQrStUvWx", User: "ann", Scope: domain.ScopeWrite}
	invalid := errors.New("invalid")
	for _, c := range []struct {
		caller domain.Caller
		named  string
		given  bool
		want   string
		err    error
	}{
		{app, "", false, "", nil},
		{app, "bob", true, "bob", nil},
		{app, "", true, "", invalid},
		{app, "a\tb", true, "", invalid},
		{user, "", false, "ann", nil},
		{user, "ann", true, "ann", nil},
		{user, "bob", true, "", domain.ErrForbidden},
		{user, "\x00", true, "", invalid},
	} {
		got, err := c.caller.AuthorOf(c.named, c.given)
		var v *domain.ValidationError
		if c.err == invalid && errors.As(err, &v) {
			err = invalid
		}
		if !errors.Is(err, c.err) || (err == nil && got != c.want) {
			t.Errorf("%q as %q (given %v): %q, %v; want %q, %v", c.named, c.caller.User, c.given, got, err, c.want, c.err)
		}
	}
}
