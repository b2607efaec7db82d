import Forum from '@mui/icons-material/Forum';
import { Layout as RaLayout, Menu, type LayoutProps } from 'react-admin';

/** The resources, then the pages of no resource (the playground). */
const AppMenu = () => (
  <Menu>
    <Menu.ResourceItems />
    <Menu.Item to="/playground" primaryText="Playground" leftIcon={<Forum />} data-testid="menu-playground" />
  </Menu>
);

export const Layout = ({ children }: LayoutProps) => <RaLayout menu={AppMenu}>{children}</RaLayout>;
