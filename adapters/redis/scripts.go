package redis

import (
	_ "embed" // the Lua scripts

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/eventwire"
)

// The sequencer's scripts, in lua/: each is a library's functions followed
// by its body. history.lua is every script's; sequence.lua, with the wire
// format's append_entry before it, is the numbering scripts'; seed.lua the
// re-seeding scripts'.
var (
	//go:embed lua/history.lua
	historyLua string
	//go:embed lua/sequence.lua
	sequenceLua string
	//go:embed lua/register.lua
	registerLua string
	//go:embed lua/next_chat.lua
	nextChatLua string
	//go:embed lua/next_message.lua
	nextMessageLua string
	//go:embed lua/next_edit.lua
	nextEditLua string
	//go:embed lua/lock.lua
	lockLua string
	//go:embed lua/seed.lua
	seedLua string
	//go:embed lua/seed_app.lua
	seedAppLua string
	//go:embed lua/seed_chat.lua
	seedChatLua string
	//go:embed lua/extend.lua
	extendLua string
)

// numbering is the library of the scripts that hand out a number and append its event.
var numbering = historyLua + eventwire.AppendLua + sequenceLua

var (
	scriptRegister    = rueidis.NewLuaScript(historyLua + registerLua)
	scriptNextChat    = rueidis.NewLuaScript(numbering + nextChatLua)
	scriptNextMessage = rueidis.NewLuaScript(numbering + nextMessageLua)
	scriptNextEdit    = rueidis.NewLuaScript(numbering + nextEditLua)
	scriptLock        = rueidis.NewLuaScript(historyLua + lockLua)
	scriptSeedApp     = rueidis.NewLuaScript(historyLua + seedLua + seedAppLua)
	scriptSeedChat    = rueidis.NewLuaScript(historyLua + seedLua + seedChatLua)
	scriptExtend      = rueidis.NewLuaScript(extendLua)
)

// What the numbering scripts answer instead of a number.
const (
	stateAppMissing     = -1
	stateChatUnknown    = -2
	stateChatNeedsSeed  = -3
	stateMessageUnknown = -4
	stateLeaseSpent     = -5
	stateIdemReused     = -6
	stateIdemLost       = -7 // Redis does not know the key, but lost keys since the sequence's fence
)
