/** The default theme, with the few style fixes in custom.css. */
import DefaultTheme from "vitepress/theme";
import "./custom.css";

export default DefaultTheme;
