package eventwire

// AppendLua is the Lua a Redis script composes in to append an Entry once
// it has allocated the entry's numbers. It defines
//
//	append_entry(stream, number, version, epoch, uuid, rest, metadata, maxlen)
//
// number, version and epoch are the allocated numbers as decimal strings
// (version nil for a creation), uuid, rest and metadata the Entry's fields,
// and maxlen caps the stream approximately ('0': no cap). The payload is
// the numbers' head, in the field order of the payload's JSON, then Rest.
const AppendLua = `
local function append_entry(stream, number, version, epoch, uuid, rest, metadata, maxlen)
  local head = '{"number":' .. number
  if version ~= nil then head = head .. ',"version":' .. version end
  head = head .. ',"epoch":' .. epoch .. ','
  if maxlen ~= '0' then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', '_watermill_message_uuid', uuid, 'payload', head .. rest, 'metadata', metadata)
  else
    redis.call('XADD', stream, '*', '_watermill_message_uuid', uuid, 'payload', head .. rest, 'metadata', metadata)
  end
end
`
