"""Every command's handler, one module per area. `bot.dispatch` maps command names to them."""
