package domain

import "time"

// Member is a user's membership of one chat of a protected application.
type Member struct {
	User     UserID
	Role     Role
	JoinedAt time.Time
}

// NewMember is one of the members a chat is created with, or a PUT of one:
// a valid user id and role.
func NewMember(rawUser, rawRole string) (Member, error) {
	user, err := ParseUserID("user_id", rawUser)
	if err != nil {
		return Member{}, err
	}
	role, err := ParseRole(rawRole)
	if err != nil {
		return Member{}, err
	}
	return Member{User: user, Role: role}, nil
}

// MaxInitialMembers bounds the members a chat may be created with: more are
// added one PUT at a time.
const MaxInitialMembers = 100
