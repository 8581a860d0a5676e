// Stylesheets imported by web/src mean nothing in jsdom.
module.exports = {};
