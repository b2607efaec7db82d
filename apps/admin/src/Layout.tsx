import Forum from '@mui/icons-material/Forum';
import { Layout as RaLayout, Menu, type LayoutProps } from 'react-admin';

/** The resources, then the pages of no resource (the playground). */
const AppMenu = () => (
  <Menu>
    <Menu.ResourceItems />
    <Menu.Item to="/playground" primaryText="Playground" leftIcon={<Forum />} data-testid="menu-playground" />
  </Menu>
);

/**
 * react-admin's layout is as wide as its widest content (`min-width: fit-content`), so one wide
 * table pushed the page, and its toolbar buttons, past the window. Held to the window instead: a
 * wide table scrolls inside its own container.
 */
const FIT_WINDOW = { minWidth: 0, '& .RaLayout-content': { minWidth: 0 } };

export const Layout = ({ children }: LayoutProps) => (
  <RaLayout menu={AppMenu} sx={FIT_WINDOW}>
    {children}
  </RaLayout>
);
