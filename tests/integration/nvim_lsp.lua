-- Drives `phiguard lsp` from headless Neovim's own LSP client (`vim.lsp`), as an editor
-- user would: open a file, wait for diagnostics, write what arrived to a JSON file for the
-- Rust test to check. Uses only APIs Debian bookworm's Neovim 0.7 has (`start_client` and
-- `buf_attach_client`; `vim.lsp.start` came in 0.8).
--
-- Environment: PHIGUARD_BIN, PHIGUARD_NVIM_ROOT (workspace), PHIGUARD_NVIM_FILE (to open),
-- PHIGUARD_NVIM_OUT (the JSON written).
local bin = os.getenv('PHIGUARD_BIN')
local root = os.getenv('PHIGUARD_NVIM_ROOT')
local file = os.getenv('PHIGUARD_NVIM_FILE')
local out = os.getenv('PHIGUARD_NVIM_OUT')

-- The raw notification too: its ranges are in UTF-16 units, vim.diagnostic's in bytes.
local raw = nil
local default = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result and result.diagnostics and #result.diagnostics > 0 then
    raw = result
  end
  return default(err, result, ctx, config)
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({ name = 'phiguard', cmd = { bin, 'lsp' }, root_dir = root })
vim.lsp.buf_attach_client(buf, client)

local ok = vim.wait(30000, function()
  return raw ~= nil and #vim.diagnostic.get(buf) > 0
end, 50)

local result = { ok = ok, raw = raw or vim.NIL, diagnostics = {} }
for i, d in ipairs(vim.diagnostic.get(buf)) do
  result.diagnostics[i] = {
    lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    message = d.message, severity = d.severity, source = d.source,
  }
end
local f = assert(io.open(out, 'w'))
f:write(vim.json.encode(result))
f:close()
vim.lsp.stop_client(client)
vim.wait(2000, function() return vim.lsp.client_is_stopped(client) end, 50)
vim.cmd('qa!')
