package main

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatsvc/chat/internal/benchhttp"
)

// usersBench makes protected applications of perApp users each (the last
// may have fewer), every user a member of userChats chats of members
// members, and one GET …/me/events stream per user with a token of their
// own. Chat c of an application has the members c·members … c·members +
// members − 1 (mod its users), so that every user is in exactly userChats
// chats when users·userChats is a multiple of members. Messages are
// created with the application's secret.
func usersBench(api string, users, userChats, members, perApp int) (bench, error) {
	if members > perApp || members > 100 {
		return bench{}, fmt.Errorf("-members %d: at most -per-app (%d) and 100 (a chat's members at its creation)", members, perApp)
	}
	b := bench{api: api, fanout: members}
	for first := 0; first < users; first += perApp {
		n := min(perApp, users-first)
		if n < members || n*userChats%members != 0 {
			return bench{}, fmt.Errorf("an application of %d users cannot have chats of %d members with each user in %d", n, members, userChats)
		}
		app, code, err := benchhttp.Post(api, map[string]any{"name": "live bench users"})
		if err != nil || code != 201 {
			return bench{}, fmt.Errorf("create application: %d %v", code, err)
		}
		token, secret := app["token"].(string), app["secret"].(string)
		path := api + "/" + token
		if _, code, err := benchhttp.Send("PATCH", path, secret, map[string]any{"access": "protected"}); err != nil || code != 200 {
			return bench{}, fmt.Errorf("protect the application: %d %v", code, err)
		}
		appKey := strconv.Itoa(first / perApp)
		for c := range n * userChats / members {
			list := make([]map[string]any, members)
			for k := range list {
				list[k] = map[string]any{"user_id": userID(first + (c*members+k)%n)}
			}
			chat, code, err := benchhttp.Send("POST", path+"/chats", secret, map[string]any{"members": list})
			if err != nil || code != 201 {
				return bench{}, fmt.Errorf("create chat: %d %v", code, err)
			}
			b.chats = append(b.chats, chatRef{path: fmt.Sprintf("%s/chats/%v", path, chat["number"]), key: fmt.Sprintf("%s/%v", appKey, chat["number"]), bearer: secret})
		}
		for u := first; u < first+n; u++ {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": userID(u), "exp": time.Now().Add(24 * time.Hour).Unix()}).SignedString([]byte(secret))
			if err != nil {
				return bench{}, err
			}
			b.streams = append(b.streams, stream{url: path + "/me/events", bearer: tok, key: userStreamKey(appKey)})
		}
	}
	fmt.Printf("== %d users, one stream each, in %d chats of %d members (each user in %d), over %d applications\n",
		users, len(b.chats), members, userChats, (users+perApp-1)/perApp)
	return b, nil
}

func userID(u int) string { return "u" + strconv.Itoa(u) }

// userStreamKey reads a message.created line of a user's stream of the
// application: data: {"chat":C,"number":N,…} is app/C#N.
func userStreamKey(app string) func([]byte) (string, bool) {
	return func(line []byte) (string, bool) {
		rest, ok := bytes.CutPrefix(line, []byte(`data: {"chat":`))
		if !ok {
			return "", false
		}
		chat, ok := numberAfter(rest)
		if !ok {
			return "", false
		}
		rest, ok = bytes.CutPrefix(rest[len(chat)+1:], []byte(`"number":`))
		if !ok {
			return "", false // a notice
		}
		n, ok := numberAfter(rest)
		return app + "/" + chat + "#" + n, ok
	}
}
