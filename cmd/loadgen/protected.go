package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// target is where a run's creates go: the chats of one application, and
// the credential they carry (none for an open application).
type target struct {
	prefix, bearer string
}

// sender is a JSON request to the api, with bearer as the credential
// unless empty.
type sender func(method, path, bearer string, body []byte) (int, []byte, error)

// newApplication creates an application; protected, it switches it to
// protected with the secret of the answer and answers a user token minted
// with that secret, the credential of every request the run makes to it
// (its chats are created with it too, so the user is their moderator).
func newApplication(send sender, protected bool) (token string, t target, err error) {
	status, body, err := send("POST", "/api/v1/chat_applications", "", []byte(`{"name":"loadgen"}`))
	if err != nil || status != 201 {
		return "", target{}, fmt.Errorf("create application: %d %s %v", status, body, err)
	}
	var app struct{ Token, Secret string }
	_ = json.Unmarshal(body, &app)
	t.prefix = "/api/v1/chat_applications/" + app.Token + "/chats"
	if !protected {
		return app.Token, t, nil
	}
	status, body, err = send("PATCH", "/api/v1/chat_applications/"+app.Token, app.Secret, []byte(`{"access":"protected"}`))
	if err != nil || status != 200 {
		return "", target{}, fmt.Errorf("protect the application: %d %s %v", status, body, err)
	}
	// No kid: the current secret. A day outlives any run.
	claims := jwt.MapClaims{"sub": "loadgen", "exp": time.Now().Add(24 * time.Hour).Unix()}
	if t.bearer, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(app.Secret)); err != nil {
		return "", target{}, err
	}
	return app.Token, t, nil
}

// accessName says which kind of application a run drove.
func accessName(protected bool) string {
	if protected {
		return "protected application, user token"
	}
	return "open application"
}
