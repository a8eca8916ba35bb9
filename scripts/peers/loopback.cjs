// Preloaded into server-everything (`node --require`): its `app.listen(PORT)` names no host, so it would
// listen on every interface, and it logs $PORT rather than the bound port. This makes a listen() without
// a host bind 127.0.0.1 only, and logs the real port, so PORT=0 works and start.sh can read it.
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const portOnly = /^\d+$/.test(String(args[0])) && typeof args[1] !== "string";
  if (portOnly) args.splice(1, 0, "127.0.0.1");
  this.once("listening", () => console.error(`PEER_LISTENING ${JSON.stringify(this.address())}`));
  return listen.apply(this, args);
};
