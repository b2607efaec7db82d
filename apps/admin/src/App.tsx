import { Admin, CustomRoutes, Resource } from 'react-admin';
import { BrowserRouter, Route } from 'react-router-dom';
import adapters from './adapters';
import { authProvider } from './authProvider';
import { CurationPage } from './curation/CurationPage';
import { Dashboard } from './dashboard/Dashboard';
import { dataProvider } from './dataProvider';
import datasets from './datasets';
import endpoints from './endpoints';
import { Layout } from './Layout';
import { LoginPage } from './LoginPage';
import models from './models';
import { PlaygroundPage } from './playground/PlaygroundPage';
import { queryClient } from './queryClient';
import runs from './runs';
import { PipelineCreate } from './runs/PipelineCreate';
import { EvaluateCreate } from './runs/EvaluateCreate';
import schedules from './schedules';

/**
 * The Retort console. The API serves this build at `/` with a history fallback, so routes are
 * real paths (`/datasets/42/show`), not hash fragments. One <Resource> per folder under src/;
 * pages that belong to a resource are its child routes (the curation of a dataset version at
 * `/datasets/:id/versions/:versionId`, the pipeline form at `/runs/pipeline`); pages of no
 * resource (the playground) go in <CustomRoutes>. `/` is the home page (recent runs, production
 * adapters, next schedule fires).
 */
export const App = () => (
  // useTransitions={false}: react-router 7 otherwise commits navigations in a transition, and
  // react-admin's logout (which clears the query cache as it navigates) keeps interrupting it:
  // an anonymous visit then loops on "navigate to /login" for many seconds before it settles.
  <BrowserRouter useTransitions={false}>
    <Admin
      title="Retort"
      dataProvider={dataProvider}
      authProvider={authProvider}
      queryClient={queryClient}
      loginPage={LoginPage}
      layout={Layout}
      dashboard={Dashboard}
      requireAuth
      disableTelemetry
    >
      <Resource name="datasets" {...datasets}>
        <Route path=":id/versions/:versionId" element={<CurationPage />} />
      </Resource>
      <Resource name="runs" {...runs}>
        <Route path="pipeline" element={<PipelineCreate />} />
        <Route path="evaluate" element={<EvaluateCreate />} />
      </Resource>
      <Resource name="adapters" {...adapters} />
      <Resource name="schedules" {...schedules} />
      <Resource name="models" {...models} />
      <Resource name="endpoints" {...endpoints} />
      <CustomRoutes>
        <Route path="/playground" element={<PlaygroundPage />} />
      </CustomRoutes>
    </Admin>
  </BrowserRouter>
);
