-- Headless end-to-end test; run as:
--   nvim --headless -u init.lua -i NONE src/app/actions/notes.ts -c 'luafile test.lua'
-- 1. waits for nextguard's NG101 on the `archiveNote` line,
-- 2. applies its quick fix through Neovim's own code-action path (vim.lsp.buf.code_action with apply),
-- 3. writes the file and waits for the diagnostic to go (the edit made the didChange round trip).
local out_path = vim.env.RESULT_FILE or 'nvim-result.txt'
local lines_out = {}
local function say(s) table.insert(lines_out, s) end
local function finish(ok)
  say(ok and 'editor steps: PASS' or 'editor steps: FAIL')
  vim.fn.writefile(lines_out, out_path)
  for _, c in ipairs(vim.lsp.get_clients({ name = 'nextguard' })) do c:stop() end
  vim.wait(3000, function() return #vim.lsp.get_clients({ name = 'nextguard' }) == 0 end, 50)
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

local function ng101_on(bufnr, lnum)
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = lnum })) do
    if d.source == 'nextguard' and d.code == 'NG101' then return d end
  end
end

local ok, err = pcall(function()
  local bufnr = vim.api.nvim_get_current_buf()
  say('nvim ' .. tostring(vim.version()) .. ', filetype: ' .. vim.bo[bufnr].filetype)

  local target
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if l:find('export async function archiveNote', 1, true) then target = i - 1 break end
  end
  assert(target, 'archiveNote not found in the buffer')

  assert(vim.wait(20000, function() return #vim.lsp.get_clients({ bufnr = bufnr, name = 'nextguard' }) > 0 end, 50),
    'nextguard did not attach to the buffer within 20s (vim.lsp.enable / FileType?)')
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'nextguard' })[1]
  say('attached: ' .. client.name .. ' root=' .. tostring(client.root_dir))

  -- 1. the diagnostic
  assert(vim.wait(60000, function() return ng101_on(bufnr, target) ~= nil end, 50),
    'no NG101 on line ' .. (target + 1) .. ' within 60s')
  local d = ng101_on(bufnr, target)
  say(string.format('diagnostic: %d:%d %s [%s] %s', d.lnum + 1, d.col + 1, d.source, d.code, d.message))

  -- 2. the quick fix, through vim.lsp.buf.code_action (the same path as `gra`): with `apply` and
  -- exactly one action left by the filter, Neovim applies it without a menu.
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  local offered = {}
  vim.ui.select = function(items, _, on_choice)     -- a menu would block a headless run
    for _, it in ipairs(items) do say('menu item: ' .. vim.inspect(it.action and it.action.title or it)) end
    on_choice(nil)
  end
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(offered, action.title)
      return (action.kind or ''):match('^quickfix') ~= nil and action.title:find('verifySession', 1, true) ~= nil
    end,
  })
  local fixed = vim.wait(15000, function()
    local body = table.concat(vim.api.nvim_buf_get_lines(bufnr, target, target + 6, false), '\n')
    return body:find('await verifySession()', 1, true) ~= nil
  end, 50)
  for _, t in ipairs(offered) do say('code action offered: ' .. t) end
  assert(fixed, 'the quick fix was not applied to the buffer')
  say('after the fix:')
  for _, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, target, target + 4, false)) do say('  ' .. l) end

  -- 3. save; the server re-publishes without NG101 on archiveNote
  vim.cmd('write')
  assert(vim.wait(30000, function() return ng101_on(bufnr, target) == nil end, 50),
    'NG101 is still on archiveNote 30s after the fix')
  say('NG101 on archiveNote is gone; nextguard diagnostics left in the file: '
    .. #vim.diagnostic.get(bufnr, { namespace = nil }))
end)
if not ok then say('ERROR: ' .. tostring(err)) end
finish(ok)
