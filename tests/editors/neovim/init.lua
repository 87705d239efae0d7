-- Test init for Neovim 0.11+: load the shipped config exactly as a user would (clients/neovim/nextguard.lua).
-- It starts `nextguard lsp` from PATH (tests/editors/lib.sh puts a wrapper there).
vim.opt.swapfile = false
vim.opt.shada = ''
dofile(vim.env.NEXTGUARD_CLIENT_CONFIG)
